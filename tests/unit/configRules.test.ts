import * as assert from "assert";
import {
    hasUrlCredentials,
    inventoryPathProblem,
    parseHostPort,
    registryEndpointRule,
    repositoryBaseProblem,
    shown,
    staticAddressProblems,
    webRootProblem,
    withoutCredentials,
} from "../../components/configRules";
import { templateNameProblem } from "../../components/names";
import { parseServer } from "../../components/vsphere/soapTransport";

describe("configRules: credentials inside values", () => {
    const withCredentials: [string, string][] = [
        ["palette:PW@harbor.lab.internal:5000", "harbor.lab.internal:5000"],
        ["https://u:PW@mirror.lab.internal/x.ova", "https://mirror.lab.internal/x.ova"],
        ["ssh://ops:PW@docker01", "ssh://docker01"],
        ["u:p@ss@host", "host"],
        ["u:pa/ss@host:5000", "host:5000"],
        ["https://u:@host/x", "https://host/x"],
        ["HTTPS://U:PW@HOST", "HTTPS://HOST"],
    ];
    for (const [value, stripped] of withCredentials) {
        it(`finds the credentials in ${value} and removes them`, () => {
            assert.strictEqual(hasUrlCredentials(value), true);
            assert.strictEqual(withoutCredentials(value), stripped);
            assert.ok(!shown(value).includes("PW") && !shown(value).includes("ss@"), shown(value));
        });
    }
    const without = [
        "palette-installer@vsphere.local",
        "ssh://ops@docker01.lab.internal:2222",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ops@lab",
        "harbor.lab.internal:443/library/nginx@sha256:" + "a".repeat(64),
        "https://mirror.lab.internal/dir/file@2.ova",
        "harbor.lab.internal:5000",
        "/opt/palette/airgap-v4.2.13.bin",
    ];
    for (const value of without) {
        it(`sees no credentials in ${value}`, () => {
            assert.strictEqual(hasUrlCredentials(value), false);
            assert.strictEqual(withoutCredentials(value), value);
        });
    }
});

describe("configRules: hosts and endpoints", () => {
    const hosts: [string, { host: string; port?: number } | RegExp][] = [
        ["vcenter.lab.internal", { host: "vcenter.lab.internal" }],
        ["10.10.100.10:8443", { host: "10.10.100.10", port: 8443 }],
        ["[fd00::10]", { host: "[fd00::10]" }],
        ["[fd00::10]:443", { host: "[fd00::10]", port: 443 }],
        ["fd00::10", /in brackets, e\.g\. \[fd00::10\]/],
        ["[fd00::10", /is not host\[:port\]/],
        ["host:0", /port 0 is not a TCP port/],
        ["host:65536", /port 65536/],
        ["host:", /port  is not a TCP port/],
        ["256.1.1.1", /not an IPv4 address/],
        ["-bad.example", /not a host name/],
        ["a..b", /not a host name/],
        ["", /is not host\[:port\]/],
    ];
    for (const [value, expected] of hosts) {
        it(`parseHostPort(${JSON.stringify(value)})`, () => {
            const result = parseHostPort(value);
            if (expected instanceof RegExp) {
                assert.match(result.problem ?? "(accepted)", expected);
            } else {
                assert.deepStrictEqual(result.value, expected);
            }
        });
    }

    it("registry endpoints become host[:port]; https:// and a trailing / are dropped", () => {
        assert.strictEqual(registryEndpointRule("https://harbor.lab.internal:8443/", "K").value, "harbor.lab.internal:8443");
        assert.strictEqual(registryEndpointRule("[fd00::20]:5000", "K").value, "[fd00::20]:5000");
        assert.match(registryEndpointRule("u:PW@h", "the K keys").problem!, /use the K keys/);
        assert.ok(!registryEndpointRule("http://u:PW@h", "K").problem!.includes("PW"));
    });

    it("the vSphere client builds its URL from a bracketed IPv6 address (and keeps the brackets for NFC URLs)", () => {
        assert.deepStrictEqual(parseServer("[fd00::10]"), { url: "https://[fd00::10]/sdk", host: "[fd00::10]" });
        assert.deepStrictEqual(parseServer("[fd00::10]:8989"), { url: "https://[fd00::10]:8989/sdk", host: "[fd00::10]:8989" });
    });
});

describe("configRules: paths, names, bases, addresses", () => {
    it("web roots: accepted and refused", () => {
        for (const good of ["/srv/palette-manifests", "/var/www/palette", "/opt/palette/manifests", "/home/ubuntu/palette", "/data/palette"]) {
            assert.strictEqual(webRootProblem(good), undefined, good);
        }
        for (const bad of ["/", "/srv", "/bin", "/boot/x", "/lib64", "/etc/nginx", "/usr/share/nginx/html", "/var/lib/x", "/root", "/root/x", "/home/ubuntu", "/home/u/.ssh", "/srv/a/", "/srv/./a", "/srv//a", "/srv/a b", "relative/x"]) {
            assert.ok(webRootProblem(bad), bad);
        }
    });

    it("inventory paths: nested folders yes, . .. // and escaped characters no", () => {
        assert.strictEqual(inventoryPathProblem("palette/spectro-templates"), undefined);
        assert.strictEqual(inventoryPathProblem("VM Network"), undefined);
        for (const bad of ["..", "a/../b", "./a", "/a", "a/", "a//b", "a\\b", "a%2fb", "x".repeat(81)]) {
            assert.ok(inventoryPathProblem(bad), bad);
        }
        // Objects that exist already may be named with vSphere's escapes; names we create may not.
        assert.strictEqual(inventoryPathProblem("folder/VLAN 10%2f24", { escapes: true }), undefined);
        assert.strictEqual(inventoryPathProblem(`${"x".repeat(78)}%2f`, { escapes: true }), undefined, "an escape counts as one character");
        for (const bad of ["a%b", "a%2", "a\\b", "a/../b"]) {
            assert.ok(inventoryPathProblem(bad, { escapes: true }), bad);
        }
    });

    it("template names", () => {
        assert.strictEqual(templateNameProblem("r_u-2204-0-k-12510-0"), undefined);
        assert.strictEqual(templateNameProblem(`r_${"x".repeat(78)}`), undefined);
        for (const bad of ["u-2204", "r_", "r_a/b", "r_a\\b", "r_a%b", "r_a\nb", `r_${"x".repeat(79)}`]) {
            assert.ok(templateNameProblem(bad), bad);
        }
    });

    it("repository bases per registry kind", () => {
        assert.strictEqual(repositoryBaseProblem("spectro__packs", "generic"), undefined);
        assert.match(repositoryBaseProblem("spectro__packs", "harbor")!, /Harbor project name/);
        assert.match(repositoryBaseProblem("spectro__packs", "ecr")!, /ECR repository name/);
        assert.strictEqual(repositoryBaseProblem("spectro/packs__x", "harbor"), undefined, "Harbor's rule is for the project, the first segment");
        assert.match(repositoryBaseProblem("a".repeat(201), "generic")!, /201 characters/);
    });

    it("static addresses: the gateway inside the subnet, neither the address nor its edges", () => {
        assert.deepStrictEqual(staticAddressProblems("10.10.100.50/24", "10.10.100.1"), {});
        assert.deepStrictEqual(staticAddressProblems("10.10.100.51/31", "10.10.100.50"), {});
        assert.match(staticAddressProblems("10.10.100.50/24", "10.10.101.1").gateway!, /outside fileServerIp's subnet 10\.10\.100\.0\/24/);
        assert.match(staticAddressProblems("10.10.100.50/24", "10.10.100.50").gateway!, /own address/);
        assert.match(staticAddressProblems("10.10.100.50/24", "10.10.100.0").gateway!, /network address/);
        assert.match(staticAddressProblems("192.168.0.255/23", "192.168.0.1").cidr ?? "(none)", /\(none\)/);
        assert.match(staticAddressProblems("192.168.1.255/23", "192.168.0.1").cidr!, /broadcast address of 192\.168\.0\.0\/23/);
    });
});
