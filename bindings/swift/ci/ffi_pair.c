/*
 * Calls the Orbit library through the generated C header, as Swift does underneath: opens a
 * controller on a store in memory, pairs with a device on 127.0.0.1, lists the devices, and
 * checks that a wrong setup code is the WrongSetupCode error. Built by check.sh with clang
 * and the generated module map (-fmodules), so the header the Swift package uses is compiled
 * and exercised on a machine without Swift.
 *
 * usage: ffi_pair QR ADDRESS WRONG_QR OTHER_ADDRESS (a device not yet paired, whose window is
 *        still open: a paired device's is closed)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* With -fmodules this include is an import of the OrbitFFI module the module map defines. */
#include <OrbitFFI.h>

#define FN(name) uniffi_orbit_bindings_fn_##name
#define FFI(name) ffi_orbit_bindings_##name

static volatile int8_t ready = -1;

/* The future's continuation: 0 = ready, 1 = poll again. */
static void wake(uint64_t data, int8_t poll) {
    (void)data;
    ready = poll;
}

typedef void (*poll_fn)(uint64_t, UniffiRustFutureContinuationCallback, uint64_t);

/* Polls a Rust future until it is ready (the SDK's runtime does the work meanwhile). */
static void wait_for(uint64_t future, poll_fn poll) {
    for (;;) {
        ready = -1;
        poll(future, wake, 0);
        while (ready < 0) usleep(1000);
        if (ready == 0) return;
    }
}

static RustBuffer bytes(const void *data, size_t len) {
    RustCallStatus st = {0};
    ForeignBytes fb = {(int32_t)len, (const uint8_t *)data};
    RustBuffer b = FFI(rustbuffer_from_bytes)(fb, &st);
    if (st.code != 0) { fprintf(stderr, "rustbuffer_from_bytes failed\n"); exit(1); }
    return b;
}

/* A string argument: its UTF-8 bytes. */
static RustBuffer string(const char *s) { return bytes(s, strlen(s)); }

/* An optional string argument: tag 1, big-endian i32 length, bytes. */
static RustBuffer some_string(const char *s) {
    size_t n = strlen(s);
    uint8_t *b = malloc(5 + n);
    b[0] = 1;
    b[1] = (uint8_t)(n >> 24); b[2] = (uint8_t)(n >> 16); b[3] = (uint8_t)(n >> 8); b[4] = (uint8_t)n;
    memcpy(b + 5, s, n);
    RustBuffer r = bytes(b, 5 + n);
    free(b);
    return r;
}

static int32_t be32(const uint8_t *p) {
    return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

static int failures = 0;
static void check(int ok, const char *what) {
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok) failures++;
}

/* Starts pair(code, address, name) and waits: the call status and the result buffer. */
static RustBuffer pair(uint64_t controller, const char *code, const char *address,
                       const char *name, RustCallStatus *st) {
    uint64_t clone = FN(clone_orbitcontroller)(controller, st);
    uint64_t f = FN(method_orbitcontroller_pair)(clone, string(code), string(address), some_string(name));
    wait_for(f, FFI(rust_future_poll_rust_buffer));
    RustBuffer out = FFI(rust_future_complete_rust_buffer)(f, st);
    FFI(rust_future_free_rust_buffer)(f);
    return out;
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: ffi_pair QR ADDRESS WRONG_QR OTHER_ADDRESS\n"); return 2; }
    RustCallStatus st = {0};

    uint64_t store = FN(func_memory_store)(&st);
    check(st.code == 0, "memory_store()");

    uint8_t none = 0; /* browser: None */
    uint64_t f = FN(constructor_orbitcontroller_open)(store, bytes(&none, 1));
    wait_for(f, FFI(rust_future_poll_u64));
    uint64_t controller = FFI(rust_future_complete_u64)(f, &st);
    FFI(rust_future_free_u64)(f);
    check(st.code == 0 && controller != 0, "OrbitController.open(store)");

    RustBuffer home = FN(method_orbitcontroller_home_id)(FN(clone_orbitcontroller)(controller, &st), &st);
    check(st.code == 0 && home.len == 16, "homeId() is 16 hex digits");
    printf("     home %.*s\n", (int)home.len, home.data);
    FFI(rustbuffer_free)(home, &st);

    RustBuffer paired = pair(controller, argv[1], argv[2], "c-lamp", &st);
    /* Paired starts with its PairedDevice, which starts with the name. */
    int named = st.code == 0 && paired.len > 4 && be32(paired.data) == 6 &&
                memcmp(paired.data + 4, "c-lamp", 6) == 0;
    check(named, "pair(QR, address, \"c-lamp\") returns the device named c-lamp");
    if (st.code == 0) FFI(rustbuffer_free)(paired, &st);

    RustBuffer devices = FN(method_orbitcontroller_devices)(FN(clone_orbitcontroller)(controller, &st), &st);
    check(st.code == 0 && devices.len >= 4 && be32(devices.data) == 1, "devices() lists one device");
    FFI(rustbuffer_free)(devices, &st);

    RustCallStatus wrong = {0};
    pair(controller, argv[3], argv[4], "c-wrong", &wrong);
    /* An error: code 1 and the error enum's variant number (1-based) first. */
    int variant = wrong.code == 1 && wrong.errorBuf.len >= 4 ? be32(wrong.errorBuf.data) : -1;
    check(variant == 2, "a wrong setup code is OrbitError.WrongSetupCode (variant 2)");

    f = FN(method_orbitcontroller_shutdown)(FN(clone_orbitcontroller)(controller, &st));
    wait_for(f, FFI(rust_future_poll_void));
    FFI(rust_future_complete_void)(f, &st);
    FFI(rust_future_free_void)(f);
    check(st.code == 0, "shutdown()");
    FN(free_orbitcontroller)(controller, &st);

    printf("%d passed, %d failed\n", 6 - failures, failures);
    return failures == 0 ? 0 : 1;
}
