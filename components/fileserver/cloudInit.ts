/**
 * cloud-init for the manifest file-server VM, delivered through VMware guestinfo (cloud-init's
 * VMware datasource, cloud-init >= 21.3): `guestinfo.metadata` (instance id, host name, network
 * config v2) and `guestinfo.userdata` (#cloud-config), both base64.
 *
 * Nothing is installed at boot (air gap): the user data writes an nginx site and a systemd unit
 * for a python3 fallback (FILE_SERVER_PY, Python's http.server), and a small script, run once by
 * `runcmd`, enables nginx when the template has it and the fallback unit otherwise. Both are
 * enabled services, so the file server survives reboots. With TLS, the certificate and key are
 * written too (the key makes the user data a secret: see ManifestFileServer), and both serve HTTPS.
 *
 * Neither server follows a link below the web root (issue 9: a release holding `roar/leak -> /etc`
 * served /etc/passwd): nginx has `disable_symlinks on from=$document_root`, the fallback answers
 * 404 for any path that goes through a link. The web root itself is a link (the publish script's
 * atomic swap) and keeps working.
 *
 * Everything here is pure (strings in, strings out), so tests/fileserver/cloudInit.test.ts runs
 * the results through Debian's cloud-init (schema, VMware datasource, network parser).
 */
import * as crypto from "crypto";
import * as path from "path";
import * as YAML from "yaml";

/** Default web root on the file server (the publish script swaps it atomically). */
export const DEFAULT_WEB_ROOT = "/srv/palette-manifests";
/** Directory on the VM holding the generated configuration (nginx site, TLS files, scripts). */
export const CONFIG_DIR = "/etc/palette-manifests";
/** The systemd unit of the python fallback. */
export const FALLBACK_UNIT = "palette-manifests.service";
/** Where the nginx site is installed when nginx is present (conf.d is included on Debian, Ubuntu and RHEL). */
export const NGINX_SITE_PATH = "/etc/nginx/conf.d/palette-manifests.conf";
/** The script runcmd runs once: enables nginx or the fallback unit. */
export const ENABLE_SCRIPT_PATH = "/usr/local/sbin/palette-manifests-enable";
/** The python fallback server (FILE_SERVER_PY), HTTP or HTTPS. */
export const FILE_SERVER_PATH = "/usr/local/lib/palette-manifests/file_server.py";
/** TLS certificate and key on the VM. */
export const TLS_CERT_PATH = `${CONFIG_DIR}/tls/server.crt`;
export const TLS_KEY_PATH = `${CONFIG_DIR}/tls/server.key`;

export interface StaticIpv4 {
    /** Address in CIDR form, e.g. `10.10.100.50/24`. */
    cidr: string;
    /** Default gateway. */
    gateway: string;
    /** DNS servers. */
    dns: string[];
}

export interface CloudInitSpec {
    /** Host name of the VM (also the default instance id prefix). */
    hostname: string;
    /** Static IPv4 configuration; absent means DHCP. */
    staticIp?: StaticIpv4;
    /** User that publishes the manifests over SSH; gets passwordless sudo. */
    sshUser: string;
    /** OpenSSH public keys authorised for sshUser. Default none (then nothing can publish). */
    sshPublicKeys?: string[];
    /** Port served on. */
    port: number;
    /** Directory served. Default DEFAULT_WEB_ROOT. */
    webRoot?: string;
    /** PEM certificate (chain) and private key: HTTPS when set. */
    tls?: { certPem: string; keyPem: string };
    /** Instance id. Default `<hostname>-<12 hex digits of the configuration's sha256>`, so a changed configuration is applied again by cloud-init. */
    instanceId?: string;
}

export interface CloudInit {
    /** `guestinfo.metadata` (YAML). */
    metadata: string;
    /** `guestinfo.userdata` (#cloud-config). Contains the TLS private key when TLS is set. */
    userData: string;
    /** The network config v2 inside the metadata. */
    networkConfig: NetworkConfigV2;
    instanceId: string;
    /** True when userData holds a private key (treat it as a secret). */
    userDataIsSecret: boolean;
}

export interface NetworkConfigV2 {
    version: 2;
    ethernets: Record<string, {
        match: { name: string };
        dhcp4: boolean;
        addresses?: string[];
        routes?: { to: string; via: string }[];
        nameservers?: { addresses: string[] };
    }>;
}

/** The cloud-init documents of the file-server VM. */
export function buildCloudInit(spec: CloudInitSpec): CloudInit {
    validateSpec(spec);
    const networkConfig = networkConfigV2(spec.staticIp);
    const userData = cloudConfig(spec);
    const instanceId = spec.instanceId ?? `${spec.hostname}-${sha256Hex(`${JSON.stringify(networkConfig)}\n${userData}`).slice(0, 12)}`;
    const metadata = YAML.stringify(
        { "instance-id": instanceId, "local-hostname": spec.hostname, network: networkConfig },
        { lineWidth: 0 },
    );
    return { metadata, userData, networkConfig, instanceId, userDataIsSecret: spec.tls !== undefined };
}

/**
 * The VM's `extraConfig` entries for cloud-init's VMware datasource (both documents base64, so
 * no quoting issue can reach the .vmx file).
 */
export function guestinfoExtraConfig(metadata: string, userData: string): Record<string, string> {
    return {
        "guestinfo.metadata": toBase64(metadata),
        "guestinfo.metadata.encoding": "base64",
        "guestinfo.userdata": toBase64(userData),
        "guestinfo.userdata.encoding": "base64",
    };
}

export function toBase64(text: string): string {
    return Buffer.from(text, "utf8").toString("base64");
}

/** Network config v2: the static address, default route and DNS servers, else DHCPv4. One NIC, matched by name (`e*`: eth0, ens192, enp11s0...). */
export function networkConfigV2(staticIp?: StaticIpv4): NetworkConfigV2 {
    const match = { name: "e*" };
    if (!staticIp) {
        return { version: 2, ethernets: { primary: { match, dhcp4: true } } };
    }
    return {
        version: 2,
        ethernets: {
            primary: {
                match,
                dhcp4: false,
                addresses: [staticIp.cidr],
                // 0.0.0.0/0 rather than `default` or gateway4: understood by every netplan and cloud-init version.
                routes: [{ to: "0.0.0.0/0", via: staticIp.gateway }],
                nameservers: { addresses: [...staticIp.dns] },
            },
        },
    };
}

/** The #cloud-config user data. */
export function cloudConfig(spec: CloudInitSpec): string {
    const webRoot = spec.webRoot ?? DEFAULT_WEB_ROOT;
    const tlsPaths = spec.tls ? { cert: TLS_CERT_PATH, key: TLS_KEY_PATH } : undefined;
    const writeFiles: Record<string, unknown>[] = [
        { path: `${CONFIG_DIR}/nginx-site.conf`, owner: "root:root", permissions: "0644", content: nginxSite({ port: spec.port, webRoot, tls: tlsPaths }) },
        { path: `/etc/systemd/system/${FALLBACK_UNIT}`, owner: "root:root", permissions: "0644", content: fallbackUnit({ port: spec.port, webRoot, tls: tlsPaths }) },
        { path: ENABLE_SCRIPT_PATH, owner: "root:root", permissions: "0755", content: enableScript() },
        { path: FILE_SERVER_PATH, owner: "root:root", permissions: "0755", content: FILE_SERVER_PY },
    ];
    if (spec.tls) {
        writeFiles.push(
            { path: TLS_CERT_PATH, owner: "root:root", permissions: "0644", content: ensureNewline(spec.tls.certPem) },
            { path: TLS_KEY_PATH, owner: "root:root", permissions: "0600", content: ensureNewline(spec.tls.keyPem) },
        );
    }
    const document = {
        hostname: spec.hostname,
        preserve_hostname: false,
        manage_etc_hosts: true,
        users: [
            {
                name: spec.sshUser,
                gecos: "Palette manifests publisher",
                shell: "/bin/bash",
                sudo: "ALL=(ALL) NOPASSWD:ALL",
                lock_passwd: true,
                ssh_authorized_keys: [...(spec.sshPublicKeys ?? [])],
            },
        ],
        ssh_pwauth: false,
        disable_root: true,
        // Air gap: nothing is fetched at boot.
        package_update: false,
        package_upgrade: false,
        package_reboot_if_required: false,
        write_files: writeFiles,
        runcmd: [[ENABLE_SCRIPT_PATH]],
    };
    return `#cloud-config\n${YAML.stringify(document, { lineWidth: 0 })}`;
}

/**
 * The nginx server block: serves webRoot (a symlink the publish script swaps; nginx resolves it
 * per request) on `port`, over TLS when `tls` paths are given. Also used by docker mode, with the
 * paths inside the container. `disable_symlinks on from=$document_root`: the web root link is not
 * checked, every link below it is refused (403), whoever owns it (releases are unpacked as root,
 * so `if_not_owner` would let a root-made link to /etc through).
 */
export function nginxSite(options: { port: number; webRoot: string; tls?: { cert: string; key: string } }): string {
    const lines = [
        "# Palette manifests (SCAR) file server, generated by palette-airgap.",
        "server {",
        `    listen ${options.port}${options.tls ? " ssl" : ""};`,
        "    server_name _;",
    ];
    if (options.tls) {
        lines.push(
            `    ssl_certificate ${options.tls.cert};`,
            `    ssl_certificate_key ${options.tls.key};`,
            "    ssl_protocols TLSv1.2 TLSv1.3;",
            "    ssl_session_cache shared:palette_manifests:1m;",
        );
    }
    lines.push(
        `    root ${options.webRoot};`,
        "    autoindex on;",
        "    disable_symlinks on from=$document_root;",
        "    location / {",
        "        try_files $uri $uri/ =404;",
        "    }",
        "}",
        "",
    );
    return lines.join("\n");
}

/**
 * The python fallback unit (FILE_SERVER_PY). Plain HTTP: as a dynamic user with only the
 * capability to bind a low port. HTTPS: it starts as root, loads the key, binds, and drops to
 * `nobody` before serving.
 */
export function fallbackUnit(options: { port: number; webRoot: string; tls?: { cert: string; key: string } }): string {
    const service = options.tls
        ? [
              `ExecStart=/usr/bin/python3 ${FILE_SERVER_PATH} --port ${options.port} --directory ${options.webRoot} --cert ${options.tls.cert} --key ${options.tls.key} --user nobody`,
              "CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_SETUID CAP_SETGID",
          ]
        : [
              `ExecStart=/usr/bin/python3 ${FILE_SERVER_PATH} --port ${options.port} --directory ${options.webRoot}`,
              "DynamicUser=yes",
              "AmbientCapabilities=CAP_NET_BIND_SERVICE",
              "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
          ];
    return [
        "[Unit]",
        "Description=Palette manifests file server (python3 fallback, used when nginx is not installed)",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        ...service,
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "Restart=always",
        "RestartSec=5",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ].join("\n");
}

/** Run once by runcmd: nginx when the template has it, else the python fallback; both enabled at boot. */
export function enableScript(): string {
    return [
        "#!/bin/bash",
        "# Generated by palette-airgap: serve the Palette manifests with nginx when it is installed,",
        "# else with the python3 fallback unit. Nothing is installed (air gap).",
        "set -euo pipefail",
        "if command -v nginx >/dev/null 2>&1; then",
        `    install -m 0644 -o root -g root ${CONFIG_DIR}/nginx-site.conf ${NGINX_SITE_PATH}`,
        "    # The packaged default site also listens on port 80.",
        "    rm -f /etc/nginx/sites-enabled/default",
        `    systemctl disable --now ${FALLBACK_UNIT} >/dev/null 2>&1 || true`,
        "    nginx -t",
        "    systemctl enable nginx",
        "    systemctl restart nginx",
        "    echo 'palette-manifests: serving with nginx'",
        "else",
        "    systemctl daemon-reload",
        `    systemctl enable ${FALLBACK_UNIT}`,
        `    systemctl restart ${FALLBACK_UNIT}`,
        "    echo 'palette-manifests: nginx not found, serving with the python3 fallback'",
        "fi",
        "",
    ].join("\n");
}

/**
 * The python fallback: Python's SimpleHTTPRequestHandler confined to the release the web root link
 * points at (a path through any link below the web root is answered 404, as nginx's
 * disable_symlinks does), over HTTP, or over HTTPS behind an ssl.SSLContext with the TLS
 * handshakes in the worker threads.
 */
export const FILE_SERVER_PY = `#!/usr/bin/python3
"""Serve a directory over HTTP or HTTPS (Palette manifests fallback when nginx is not installed).

Generated by palette-airgap. The directory may be a symbolic link (it is swapped to publish a new
release); no link below it is followed. With --cert/--key it serves HTTPS: it loads the certificate
and key and binds the port with the privileges it is started with, then drops to --user (when
root) before serving.
"""
import argparse
import functools
import http.server
import os
import pwd
import socket
import ssl


class ConfinedHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a file only when no component of its path below the web root is a link."""

    def send_head(self):
        path = self.translate_path(self.path)
        root = os.path.realpath(self.directory)
        relative = os.path.relpath(os.path.normpath(path), os.path.normpath(self.directory))
        expected = os.path.normpath(os.path.join(root, relative)) if relative != "." else root
        if relative.startswith("..") or os.path.realpath(path) != expected:
            self.send_error(404, "File not found")
            return None
        return super().send_head()


class TLSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, context):
        self.context = context
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        # Runs in the request's thread: a slow handshake never blocks other clients.
        request.settimeout(120)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            tls.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--directory", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--bind", default="")
    parser.add_argument("--user", default="nobody")
    args = parser.parse_args()

    handler = functools.partial(ConfinedHandler, directory=args.directory)
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(args.cert, args.key)
        server = TLSServer((args.bind, args.port), handler, context)
    else:
        server = http.server.ThreadingHTTPServer((args.bind, args.port), handler)
    if os.geteuid() == 0:
        user = pwd.getpwnam(args.user)
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
    print("palette-manifests: serving %s over %s on port %d" % (args.directory, "HTTPS" if args.cert else "HTTP", args.port), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
`;

function validateSpec(spec: CloudInitSpec): void {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(spec.hostname)) {
        throw new Error(`cloudInit: hostname "${spec.hostname}" is not a host name (lower case letters, digits, -)`);
    }
    if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(spec.sshUser)) {
        throw new Error(`cloudInit: sshUser "${spec.sshUser}" is not a Linux user name`);
    }
    if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) {
        throw new Error(`cloudInit: port ${spec.port} is not a TCP port`);
    }
    const webRoot = spec.webRoot ?? DEFAULT_WEB_ROOT;
    if (!path.posix.isAbsolute(webRoot) || !/^[A-Za-z0-9/._-]+$/.test(webRoot) || webRoot === "/") {
        throw new Error(`cloudInit: webRoot "${webRoot}" must be an absolute path of letters, digits, / . _ - (and not /)`);
    }
    for (const key of spec.sshPublicKeys ?? []) {
        if (/[\r\n]/.test(key.trim())) {
            throw new Error("cloudInit: an SSH public key spans several lines");
        }
    }
}

function ensureNewline(text: string): string {
    return text.endsWith("\n") ? text : `${text}\n`;
}

function sha256Hex(text: string): string {
    return crypto.createHash("sha256").update(text).digest("hex");
}
