/*
 * sha256pair: SHA-256 with Intel SHA extensions (SHA-NI), one or two digests over the same bytes.
 *
 * Why: the OVA import computes two SHA-256 digests over the same disk bytes (the whole OVA and
 * the manifest's disk entry). sha256rnds2 is latency-bound, so two independent streams over the
 * same 64-byte blocks, interleaved, with the message schedule computed once, cost about what one
 * stream costs (bench/sha256Pair.ts). OpenSSL offers no such call.
 *
 * A state lives in a caller-owned Uint8Array of STATE_BYTES (struct sha_state below, host byte
 * order: not portable between machines, never persist it). Every call copies the state in,
 * works on the copy and writes it back, so a state or data view at any byte offset (a Buffer
 * slice, a SharedArrayBuffer view) is fine.
 *
 * Only the block functions are compiled for SHA-NI (per-function target attribute); the rest is
 * baseline x86-64, and supported() checks the CPU before any of them runs. On other
 * architectures the addon builds, supported() is false and every other export throws.
 *
 * Context-aware (NAPI_MODULE_INIT) and without mutable globals: it loads in worker threads.
 */
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define SHA256PAIR_X86 1
#include <immintrin.h>
#endif

typedef struct {
    uint32_t h[8];     /* chaining values */
    uint8_t tail[64];  /* bytes of the current, incomplete block */
    uint32_t tail_len; /* 0..63 */
    uint32_t magic;    /* STATE_ACTIVE after init(), STATE_FINISHED after final() */
    uint64_t total;    /* message length in bytes so far */
} sha_state;

#define STATE_BYTES 112
_Static_assert(sizeof(sha_state) == STATE_BYTES, "sha_state layout");
#define STATE_ACTIVE 0x53324131u   /* "S2A1" */
#define STATE_FINISHED 0x53324146u /* "S2AF" */
/* SHA-256 hashes messages shorter than 2^64 bits. */
#define MAX_TOTAL_BYTES ((UINT64_C(1) << 61) - 1)

static const uint32_t IV[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

#ifdef SHA256PAIR_X86
static const uint32_t K[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

static bool cpu_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3");
}

/* sha256rnds2 wants the state as ABEF / CDGH. */
SHA_TARGET static inline void to_ni(const uint32_t s[8], __m128i *s0, __m128i *s1) {
    __m128i t = _mm_loadu_si128((const __m128i *)&s[0]);
    __m128i u = _mm_loadu_si128((const __m128i *)&s[4]);
    t = _mm_shuffle_epi32(t, 0xB1);
    u = _mm_shuffle_epi32(u, 0x1B);
    *s0 = _mm_alignr_epi8(t, u, 8);
    *s1 = _mm_blend_epi16(u, t, 0xF0);
}

SHA_TARGET static inline void from_ni(uint32_t s[8], __m128i s0, __m128i s1) {
    __m128i t = _mm_shuffle_epi32(s0, 0x1B);
    s1 = _mm_shuffle_epi32(s1, 0xB1);
    s0 = _mm_blend_epi16(t, s1, 0xF0);
    s1 = _mm_alignr_epi8(s1, t, 8);
    _mm_storeu_si128((__m128i *)&s[0], s0);
    _mm_storeu_si128((__m128i *)&s[4], s1);
}

#define ROUNDS4(S0, S1, WK)                     \
    do {                                        \
        __m128i m_ = (WK);                      \
        S1 = _mm_sha256rnds2_epu32(S1, S0, m_); \
        m_ = _mm_shuffle_epi32(m_, 0x0E);       \
        S0 = _mm_sha256rnds2_epu32(S0, S1, m_); \
    } while (0)

/* The next four message words, into W0, from the last sixteen (W0 oldest .. W3 newest). */
#define NEXT_WORDS(W0, W1, W2, W3)                                    \
    do {                                                              \
        __m128i x_ = _mm_sha256msg1_epu32(W0, W1);                    \
        x_ = _mm_add_epi32(x_, _mm_alignr_epi8(W3, W2, 4));           \
        W0 = _mm_sha256msg2_epu32(x_, W3);                            \
    } while (0)

/* The block's first sixteen message words, big-endian, four per vector. */
#define LOAD_WORDS(p, w0, w1, w2, w3)                                                          \
    do {                                                                                       \
        const __m128i byteswap_ = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL); \
        w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p)), byteswap_);               \
        w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)((p) + 16)), byteswap_);        \
        w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)((p) + 32)), byteswap_);        \
        w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)((p) + 48)), byteswap_);        \
    } while (0)

/*
 * The message schedule rolls through four registers, the next words computed between the rounds
 * that use the current ones (as OpenSSL does): with all 64 words computed up front the schedule
 * spills and the loop ran about 15% slower here. ROUNDS_STEP does four rounds with words W
 * (the vector i of 16) on every state the kernel carries, then the words four vectors ahead.
 */
#define QUARTER(ROUNDS_STEP, i, w0, w1, w2, w3)                  \
    do {                                                        \
        ROUNDS_STEP(w0, 4 * (i));                               \
        if ((i) < 3) NEXT_WORDS(w0, w1, w2, w3);                \
        ROUNDS_STEP(w1, 4 * (i) + 1);                           \
        if ((i) < 3) NEXT_WORDS(w1, w2, w3, w0);                \
        ROUNDS_STEP(w2, 4 * (i) + 2);                           \
        if ((i) < 3) NEXT_WORDS(w2, w3, w0, w1);                \
        ROUNDS_STEP(w3, 4 * (i) + 3);                           \
        if ((i) < 3) NEXT_WORDS(w3, w0, w1, w2);                \
    } while (0)

/* n blocks of p into one state. */
SHA_TARGET static void blocks1(uint32_t st[8], const uint8_t *p, size_t n) {
    __m128i s0, s1;
    to_ni(st, &s0, &s1);
    const __m128i *k = (const __m128i *)K;
    for (; n; n--, p += 64) {
        __m128i w0, w1, w2, w3;
        LOAD_WORDS(p, w0, w1, w2, w3);
        __m128i saved0 = s0, saved1 = s1;
#define ONE_STATE(W, j) ROUNDS4(s0, s1, _mm_add_epi32(W, _mm_load_si128(k + (j))))
        QUARTER(ONE_STATE, 0, w0, w1, w2, w3);
        QUARTER(ONE_STATE, 1, w0, w1, w2, w3);
        QUARTER(ONE_STATE, 2, w0, w1, w2, w3);
        QUARTER(ONE_STATE, 3, w0, w1, w2, w3);
#undef ONE_STATE
        s0 = _mm_add_epi32(s0, saved0);
        s1 = _mm_add_epi32(s1, saved1);
    }
    from_ni(st, s0, s1);
}

/* The same n blocks into two states: one message schedule, the two round chains interleaved so
 * each fills the other's sha256rnds2 latency (two digests for about the time of one). */
SHA_TARGET static void blocks2(uint32_t sta[8], uint32_t stb[8], const uint8_t *p, size_t n) {
    __m128i a0, a1, b0, b1;
    to_ni(sta, &a0, &a1);
    to_ni(stb, &b0, &b1);
    const __m128i *k = (const __m128i *)K;
    for (; n; n--, p += 64) {
        __m128i w0, w1, w2, w3;
        LOAD_WORDS(p, w0, w1, w2, w3);
        __m128i sa0 = a0, sa1 = a1, sb0 = b0, sb1 = b1;
#define TWO_STATES(W, j)                                           \
    do {                                                           \
        __m128i wk_ = _mm_add_epi32(W, _mm_load_si128(k + (j)));   \
        ROUNDS4(a0, a1, wk_);                                      \
        ROUNDS4(b0, b1, wk_);                                      \
    } while (0)
        QUARTER(TWO_STATES, 0, w0, w1, w2, w3);
        QUARTER(TWO_STATES, 1, w0, w1, w2, w3);
        QUARTER(TWO_STATES, 2, w0, w1, w2, w3);
        QUARTER(TWO_STATES, 3, w0, w1, w2, w3);
#undef TWO_STATES
        a0 = _mm_add_epi32(a0, sa0);
        a1 = _mm_add_epi32(a1, sa1);
        b0 = _mm_add_epi32(b0, sb0);
        b1 = _mm_add_epi32(b1, sb1);
    }
    from_ni(sta, a0, a1);
    from_ni(stb, b0, b1);
}
#else
static bool cpu_supported(void) { return false; }
/* Never reached: every entry point checks cpu_supported() first. */
static void blocks1(uint32_t st[8], const uint8_t *p, size_t n) { (void)st; (void)p; (void)n; }
static void blocks2(uint32_t sta[8], uint32_t stb[8], const uint8_t *p, size_t n) { (void)sta; (void)stb; (void)p; (void)n; }
#endif

/* ---- hashing on a local copy of a state ---- */

static void absorb(sha_state *s, const uint8_t *p, size_t n) {
    if (n == 0) return;
    s->total += n;
    if (s->tail_len) {
        size_t take = 64 - s->tail_len;
        if (take > n) take = n;
        memcpy(s->tail + s->tail_len, p, take);
        s->tail_len += (uint32_t)take;
        p += take;
        n -= take;
        if (s->tail_len < 64) return;
        blocks1(s->h, s->tail, 1);
        s->tail_len = 0;
    }
    size_t full = n / 64;
    if (full) blocks1(s->h, p, full);
    p += full * 64;
    n -= full * 64;
    if (n) memcpy(s->tail, p, n);
    s->tail_len = (uint32_t)n;
}

/* Both tails hold the same number of bytes: the same block boundaries in both streams. */
static void absorb_pair_in_phase(sha_state *a, sha_state *b, const uint8_t *p, size_t n) {
    if (n == 0) return;
    a->total += n;
    b->total += n;
    if (a->tail_len) {
        size_t take = 64 - a->tail_len;
        if (take > n) take = n;
        memcpy(a->tail + a->tail_len, p, take);
        memcpy(b->tail + b->tail_len, p, take);
        a->tail_len += (uint32_t)take;
        b->tail_len = a->tail_len;
        p += take;
        n -= take;
        if (a->tail_len < 64) return;
        /* The tails' earlier bytes may differ: two separate blocks. */
        blocks1(a->h, a->tail, 1);
        blocks1(b->h, b->tail, 1);
        a->tail_len = b->tail_len = 0;
    }
    size_t full = n / 64;
    if (full) blocks2(a->h, b->h, p, full);
    p += full * 64;
    n -= full * 64;
    if (n) {
        memcpy(a->tail, p, n);
        memcpy(b->tail, p, n);
    }
    a->tail_len = b->tail_len = (uint32_t)n;
}

static void store_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void finish(sha_state *s, uint8_t digest[32]) {
    uint8_t block[128];
    memset(block, 0, sizeof block);
    memcpy(block, s->tail, s->tail_len);
    block[s->tail_len] = 0x80;
    size_t nblocks = s->tail_len < 56 ? 1 : 2;
    uint64_t bits = s->total * 8;
    store_be32(block + nblocks * 64 - 8, (uint32_t)(bits >> 32));
    store_be32(block + nblocks * 64 - 4, (uint32_t)bits);
    blocks1(s->h, block, nblocks);
    for (int i = 0; i < 8; i++) store_be32(digest + 4 * i, s->h[i]);
    memset(s->tail, 0, sizeof s->tail);
    s->tail_len = 0;
    s->magic = STATE_FINISHED;
}

/* ---- Node-API glue ---- */

#define NAPI_OK_OR_NULL(call)                                                  \
    do {                                                                       \
        if ((call) != napi_ok) {                                               \
            const napi_extended_error_info *info_ = NULL;                      \
            bool pending_ = false;                                             \
            napi_get_last_error_info(env, &info_);                             \
            napi_is_exception_pending(env, &pending_);                         \
            if (!pending_)                                                     \
                napi_throw_error(env, NULL,                                    \
                                 info_ && info_->error_message ? info_->error_message : "Node-API call failed"); \
            return NULL;                                                       \
        }                                                                      \
    } while (0)

static const char *typed_array_name(napi_typedarray_type type) {
    switch (type) {
    case napi_int8_array: return "an Int8Array";
    case napi_uint8_array: return "a Uint8Array";
    case napi_uint8_clamped_array: return "a Uint8ClampedArray";
    case napi_int16_array: return "an Int16Array";
    case napi_uint16_array: return "a Uint16Array";
    case napi_int32_array: return "an Int32Array";
    case napi_uint32_array: return "a Uint32Array";
    case napi_float32_array: return "a Float32Array";
    case napi_float64_array: return "a Float64Array";
    case napi_bigint64_array: return "a BigInt64Array";
    case napi_biguint64_array: return "a BigUint64Array";
    default: return "a typed array";
    }
}

static const char *value_description(napi_env env, napi_value value) {
    napi_valuetype type;
    if (napi_typeof(env, value, &type) != napi_ok) return "an unknown value";
    switch (type) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "a number";
    case napi_string: return "a string";
    case napi_symbol: return "a symbol";
    case napi_function: return "a function";
    case napi_bigint: return "a bigint";
    case napi_object: {
        bool is = false;
        if (napi_is_arraybuffer(env, value, &is) == napi_ok && is) return "an ArrayBuffer";
        if (napi_is_dataview(env, value, &is) == napi_ok && is) return "a DataView";
        if (napi_is_array(env, value, &is) == napi_ok && is) return "an Array";
        return "an object";
    }
    default: return "an unknown value";
    }
}

/* The bytes of a Uint8Array (Buffer included); throws a TypeError naming `name` otherwise. */
static bool uint8_array_bytes(napi_env env, napi_value value, const char *name, uint8_t **data, size_t *length) {
    char message[160];
    bool is_typed = false;
    if (napi_is_typedarray(env, value, &is_typed) != napi_ok) return false;
    if (is_typed) {
        napi_typedarray_type type;
        void *bytes = NULL;
        size_t count = 0;
        if (napi_get_typedarray_info(env, value, &type, &count, &bytes, NULL, NULL) != napi_ok) return false;
        if (type == napi_uint8_array) {
            *data = (uint8_t *)bytes;
            *length = count;
            return true;
        }
        snprintf(message, sizeof message, "%s must be a Uint8Array (or Buffer), got %s", name, typed_array_name(type));
    } else {
        snprintf(message, sizeof message, "%s must be a Uint8Array (or Buffer), got %s", name, value_description(env, value));
    }
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
    return false;
}

static bool state_bytes(napi_env env, napi_value value, const char *name, uint8_t **data) {
    size_t length = 0;
    if (!uint8_array_bytes(env, value, name, data, &length)) return false;
    if (length != STATE_BYTES) {
        char message[160];
        snprintf(message, sizeof message, "%s must be a Uint8Array of STATE_BYTES (%d) bytes, got %zu bytes", name, STATE_BYTES, length);
        napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
        return false;
    }
    return true;
}

/* Copies an initialized, unfinished state out of its Uint8Array; throws otherwise. */
static bool load_active_state(napi_env env, napi_value value, const char *name, uint8_t **where, sha_state *state) {
    if (!state_bytes(env, value, name, where)) return false;
    memcpy(state, *where, sizeof *state);
    char message[200];
    if (state->magic == STATE_FINISHED && state->tail_len == 0) {
        snprintf(message, sizeof message, "%s is finished: final() was already called on it; call init(%s) to start a new digest", name, name);
        napi_throw_error(env, "ERR_SHA256PAIR_FINISHED", message);
        return false;
    }
    if (state->magic != STATE_ACTIVE || state->tail_len >= 64 || state->total > MAX_TOTAL_BYTES) {
        snprintf(message, sizeof message, "%s is not an initialized sha256pair state (call init(%s) first)", name, name);
        napi_throw_error(env, "ERR_SHA256PAIR_BAD_STATE", message);
        return false;
    }
    return true;
}

static bool room_for(napi_env env, const sha_state *state, const char *name, size_t length) {
    if ((uint64_t)length <= MAX_TOTAL_BYTES - state->total) return true;
    char message[160];
    snprintf(message, sizeof message, "%s would exceed SHA-256's message limit of 2^64 bits", name);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", message);
    return false;
}

static bool require_cpu(napi_env env) {
    if (cpu_supported()) return true;
    napi_throw_error(env, "ERR_SHA256PAIR_UNSUPPORTED",
                     "sha256pair: this CPU lacks the SHA extensions (SHA-NI, SSE4.1, SSSE3); check supported() and use node:crypto instead");
    return false;
}

/* The start of every call but supported(): the CPU check, then the arguments (missing ones
 * undefined). Returns undefined, or NULL with an exception pending. */
static napi_value begin_call(napi_env env, napi_callback_info info, size_t wanted, napi_value *argv) {
    if (!require_cpu(env)) return NULL;
    size_t argc = wanted;
    NAPI_OK_OR_NULL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    /* Missing arguments are undefined, which the type checks then name. */
    napi_value undefined;
    NAPI_OK_OR_NULL(napi_get_undefined(env, &undefined));
    for (size_t i = argc; i < wanted; i++) argv[i] = undefined;
    return undefined;
}

static napi_value js_supported(napi_env env, napi_callback_info info) {
    (void)info;
    napi_value result;
    NAPI_OK_OR_NULL(napi_get_boolean(env, cpu_supported(), &result));
    return result;
}

static napi_value js_init(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    napi_value undefined = begin_call(env, info, 1, argv);
    if (!undefined) return NULL;
    uint8_t *where;
    if (!state_bytes(env, argv[0], "state", &where)) return NULL;
    sha_state state;
    memset(&state, 0, sizeof state);
    memcpy(state.h, IV, sizeof IV);
    state.magic = STATE_ACTIVE;
    memcpy(where, &state, sizeof state);
    return undefined;
}

static napi_value js_update(napi_env env, napi_callback_info info) {
    napi_value argv[2];
    napi_value undefined = begin_call(env, info, 2, argv);
    if (!undefined) return NULL;
    uint8_t *where, *data;
    size_t length;
    sha_state state;
    if (!load_active_state(env, argv[0], "state", &where, &state)) return NULL;
    if (!uint8_array_bytes(env, argv[1], "data", &data, &length)) return NULL;
    if (!room_for(env, &state, "state", length)) return NULL;
    absorb(&state, data, length);
    memcpy(where, &state, sizeof state);
    return undefined;
}

static napi_value js_update_pair(napi_env env, napi_callback_info info) {
    napi_value argv[3];
    napi_value undefined = begin_call(env, info, 3, argv);
    if (!undefined) return NULL;
    uint8_t *where_a, *where_b, *data;
    size_t length;
    sha_state a, b;
    if (!state_bytes(env, argv[0], "stateA", &where_a) || !state_bytes(env, argv[1], "stateB", &where_b)) return NULL;
    if (where_a < where_b + STATE_BYTES && where_b < where_a + STATE_BYTES) {
        napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "stateA and stateB must be two different states (they share memory)");
        return NULL;
    }
    if (!load_active_state(env, argv[0], "stateA", &where_a, &a)) return NULL;
    if (!load_active_state(env, argv[1], "stateB", &where_b, &b)) return NULL;
    if (!uint8_array_bytes(env, argv[2], "data", &data, &length)) return NULL;
    if (!room_for(env, &a, "stateA", length) || !room_for(env, &b, "stateB", length)) return NULL;
    if (a.tail_len == b.tail_len) {
        absorb_pair_in_phase(&a, &b, data, length);
    } else {
        absorb(&a, data, length);
        absorb(&b, data, length);
    }
    memcpy(where_a, &a, sizeof a);
    memcpy(where_b, &b, sizeof b);
    return undefined;
}

static napi_value js_final(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    if (!begin_call(env, info, 1, argv)) return NULL;
    uint8_t *where;
    sha_state state;
    if (!load_active_state(env, argv[0], "state", &where, &state)) return NULL;
    uint8_t digest[32];
    finish(&state, digest);
    memcpy(where, &state, sizeof state);
    napi_value result;
    NAPI_OK_OR_NULL(napi_create_buffer_copy(env, sizeof digest, digest, NULL, &result));
    return result;
}

NAPI_MODULE_INIT() {
    /* Named functions, so stack traces say sha256pair's update rather than "anonymous". */
    static const struct {
        const char *name;
        napi_callback callback;
    } functions[] = {
        {"supported", js_supported}, {"init", js_init}, {"update", js_update}, {"updatePair", js_update_pair}, {"final", js_final},
    };
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
        napi_value function;
        NAPI_OK_OR_NULL(napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].callback, NULL, &function));
        NAPI_OK_OR_NULL(napi_set_named_property(env, exports, functions[i].name, function));
    }
    napi_value state_bytes_value;
    NAPI_OK_OR_NULL(napi_create_uint32(env, STATE_BYTES, &state_bytes_value));
    NAPI_OK_OR_NULL(napi_set_named_property(env, exports, "STATE_BYTES", state_bytes_value));
    return exports;
}
