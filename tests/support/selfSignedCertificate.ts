/**
 * A self-signed certificate for 127.0.0.1 (IP SAN), made with the `openssl` CLI, for the local
 * TLS services of the tests. It is its own CA: give `certFile` as the CA file.
 *
 * Debian package: openssl.
 */
import { execFileSync } from "child_process";
import * as path from "path";

export interface SelfSignedCertificate {
    certFile: string;
    keyFile: string;
}

/** Writes `<name>.crt` and `<name>.key` into `dir`. `rsa` for servers whose clients want RSA (docker-registry's tests); EC P-256 otherwise. */
export function selfSignedCertificate(dir: string, name = "server", keyType: "ec" | "rsa" = "ec"): SelfSignedCertificate {
    const certFile = path.join(dir, `${name}.crt`);
    const keyFile = path.join(dir, `${name}.key`);
    const key = keyType === "rsa" ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
    execFileSync(
        "openssl",
        [
            "req", "-x509", ...key, "-nodes", "-sha256", "-days", "2",
            "-keyout", keyFile, "-out", certFile,
            "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
            "-addext", "extendedKeyUsage=serverAuth",
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
    );
    return { certFile, keyFile };
}
