// vcsim for the palette-airgap integration tests: govmomi v0.56.0's vCenter simulator (VPX model)
// on 127.0.0.1 with TLS and a checked username/password.
//
// Built by ../build.sh (module palette-airgap.local/toolchain/govmomi, govmomi from the Go module
// proxy, pinned by ../go.sum), which tests/support/vcsim.ts runs. Our own main rather than
// govmomi's vcsim command: that one is a nested module the proxy does not serve, and we need a
// fresh strong certificate and the password outside the command line.
//
// Prints one line "VCSIM_URL=https://127.0.0.1:PORT/sdk" on stdout when ready, then serves
// until SIGTERM or SIGINT.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator"
)

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// selfSigned makes a fresh ECDSA P-256 certificate for 127.0.0.1 that is its own CA. The
// simulator's built-in test certificate has a 1024-bit RSA key, which OpenSSL at security level 2
// (Debian's curl, skopeo, ...) rejects as "key too weak".
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "127.0.0.1", Organization: []string{"vcsim (palette-airgap tests)"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour * 365),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func main() {
	username := flag.String("username", envOr("VCSIM_USERNAME", "user"), "login user name (env VCSIM_USERNAME)")
	password := flag.String("password", envOr("VCSIM_PASSWORD", "pass"), "login password (env VCSIM_PASSWORD)")
	port := flag.Int("port", 0, "TCP port on 127.0.0.1 (0: ephemeral)")
	certFile := flag.String("cert-file", "", "write the server certificate (PEM) to this file")
	flag.Parse()

	// The tests read what the NFC handler received from its log line ("nfc POST <file>:
	// transferred N bytes"), which govmomi 0.24 always printed and v0.56 prints only under Trace.
	// Trace also dumps every SOAP request and response (login passwords included) to TraceFile:
	// those go nowhere, and only the handlers' one-line traces reach stderr (log's output).
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		log.Fatalf("vcsim: opening %s: %s", os.DevNull, err)
	}
	simulator.Trace = true
	simulator.TraceFile = devNull

	model := simulator.VPX()
	if err := model.Create(); err != nil {
		log.Fatalf("vcsim: model.Create: %s", err)
	}
	defer model.Remove()

	model.Service.Listen = &url.URL{
		Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)),
		User: url.UserPassword(*username, *password),
	}
	cert, err := selfSigned()
	if err != nil {
		log.Fatalf("vcsim: certificate: %s", err)
	}
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	model.Service.RegisterEndpoints = true

	server := model.Service.NewServer()
	defer server.Close()

	if *certFile != "" {
		cert := server.Certificate()
		data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
		if err := os.WriteFile(*certFile, data, 0644); err != nil {
			log.Fatalf("vcsim: writing %s: %s", *certFile, err)
		}
	}

	u := *server.URL
	u.User = nil
	fmt.Printf("VCSIM_URL=%s\n", u.String())
	os.Stdout.Sync()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}
