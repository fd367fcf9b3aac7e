{
  "//": "sha256pair.node (sha256pair.c): SHA-256 with SHA-NI, two digests over the same bytes for the price of one. Built by `npm run build:native`; baseline x86-64 except the SHA-NI block functions (per-function target attribute), so it loads on any x86-64 CPU and supported() says whether it may be used.",
  "targets": [
    {
      "target_name": "sha256pair",
      "sources": ["sha256pair.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O3", "-std=gnu11", "-Wall", "-Wextra"],
      "cflags!": ["-O0", "-O1", "-O2"]
    }
  ]
}
