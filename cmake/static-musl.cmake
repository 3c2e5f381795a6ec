# Toolchain of the static executor (-DEXECUTOR_STATIC=ON, which loads this
# file): Debian's musl-gcc, and libraries, headers and pkg-config files from
# STATIC_PREFIX only (what scripts/static-deps built), never the host's glibc
# ones. protoc-c stays the host's. Linked with -static: one ELF without a
# program interpreter or shared libraries (cmake/static-check.cmake checks it).
set(CMAKE_C_COMPILER musl-gcc)
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES STATIC_PREFIX)

set(CMAKE_FIND_ROOT_PATH "${STATIC_PREFIX}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_LIBDIR} "${STATIC_PREFIX}/lib/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# musl-gcc sees no kernel headers: the prefix links the host's linux/, asm/
# and asm-generic/ (libuv's headers include them). Sections per function and
# datum so that the linker keeps only what the executor calls; no unwind
# tables (C without unwinding), as the libraries are built.
set(CMAKE_C_FLAGS_INIT "-isystem ${STATIC_PREFIX}/kernel-include -ffunction-sections \
-fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -Wl,--gc-sections")
