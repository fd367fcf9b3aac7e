import * as assert from "assert";
import { ovaTemplateName, parsePackBinary } from "../../components";

describe("ovaTemplateName", () => {
    const cases: [string, string][] = [
        ["u-2204-0-k-12510-0.ova", "r_u-2204-0-k-12510-0"],
        ["https://vmwaregoldenimage-console.s3.us-east-2.amazonaws.com/u-2204-0-k-12510-0.ova", "r_u-2204-0-k-12510-0"],
        ["https://mirror.internal/ova/u-2204-0-k-12510-0.OVA?X-Amz-Signature=abc&x=1#frag", "r_u-2204-0-k-12510-0"],
        ["/srv/ova/u-2204-0-k-12510-0.Ova", "r_u-2204-0-k-12510-0"],
        ["C:\\images\\u-2004-0-k-1269-0.ova", "r_u-2004-0-k-1269-0"],
        ["r_u-2204-0-k-12510-0.ova", "r_u-2204-0-k-12510-0"],
        ["https://mirror.internal/r_custom.ova", "r_custom"],
        ["https://mirror.internal/images/my%20image.ova", "r_my image"],
        ["ubuntu.ova.ova", "r_ubuntu.ova"],
        ["image-without-extension", "r_image-without-extension"],
        ["file:///srv/ova/u-2204.ova", "r_u-2204"],
    ];
    for (const [source, expected] of cases) {
        it(`${source} -> ${expected}`, () => assert.strictEqual(ovaTemplateName(source), expected));
    }

    it("uses a custom prefix and does not prefix twice", () => {
        assert.strictEqual(ovaTemplateName("/x/tpl-a.ova", "tpl-"), "tpl-a");
        assert.strictEqual(ovaTemplateName("/x/a.ova", "tpl-"), "tpl-a");
    });

    for (const source of ["", "   ", "/srv/ova/", "https://mirror.internal", "https://mirror.internal/", "https://mirror.internal/dir/?x=1", ".ova", "/srv/.ova", ".."]) {
        it(`throws naming the input for ${JSON.stringify(source)}`, () => {
            assert.throws(() => ovaTemplateName(source), (error: Error) => error.message.includes(`"${source}"`));
        });
    }
});

describe("parsePackBinary", () => {
    const cases: [string, string, string][] = [
        ["airgap-pack-cni-calico-3.25.1.bin", "cni-calico", "3.25.1"],
        ["/opt/packs/airgap-pack-edge-native-byoi-1.0.0.bin", "edge-native-byoi", "1.0.0"],
        ["airgap-pack-ubuntu-vsphere-22.04.bin", "ubuntu-vsphere", "22.04"],
        ["airgap-pack-spectro-grafana-dashboards-4.0.0.bin", "spectro-grafana-dashboards", "4.0.0"],
        ["airgap-pack-csi-rook-ceph-helm-addon-1.11.9.bin", "csi-rook-ceph-helm-addon", "1.11.9"],
        ["airgap-pack-kubernetes-1.25.10.bin", "kubernetes", "1.25.10"],
    ];
    for (const [file, name, version] of cases) {
        it(`${file} -> ${name} ${version}`, () => {
            const pack = parsePackBinary(file);
            assert.deepStrictEqual([pack.name, pack.version, pack.path], [name, version, file]);
        });
    }
    for (const file of ["airgap-v4.2.13.bin", "airgap-pack-calico.bin", "pack-cni-calico-3.25.1.bin", "airgap-pack-cni-calico-3.25.1.tar", "airgap-pack--1.0.bin"]) {
        it(`rejects ${file} naming it`, () => {
            assert.throws(() => parsePackBinary(file), (error: Error) => error.message.includes(file) && /airgap-pack-<name>-<version>\.bin/.test(error.message));
        });
    }
});
