# Checks that the executor's core (the executor_core archive) stays pure: every
# symbol it uses from outside itself is on the list below, which holds only
# libc functions without a system call, the protobuf and Mesos codecs, and the
# few pure helpers of common/ and hooks/ it needs. A call to libuv, libcurl,
# a system call (write, kill, clock_gettime, getrandom, ...) or the shell
# (health_start, proc_*, agent_*) fails with the symbol named.
#   cmake -DNM=<nm> -DARCHIVE=<libexecutor_core.a> -P core_purity.cmake
cmake_minimum_required(VERSION 3.18)
if(NOT NM OR NOT ARCHIVE)
  message(FATAL_ERROR "usage: cmake -DNM=<nm> -DARCHIVE=<archive> -P core_purity.cmake")
endif()

# Pure libc: memory, strings, formatting into buffers, strsignal's table.
set(libc calloc malloc realloc free memcmp memcpy memmove memset strcmp strncmp strdup
  strndup strlen strchr strrchr strstr snprintf vsnprintf strsignal)
# What the core borrows from the libraries it links, all pure. Logging is
# the one output allowed: a log line changes nothing the core decides.
set(borrowed log_printf log_vprintf log_fields log_set_context duration_format_mesos strv_free
  strv_free_n uuid4_format hook_event_name)
# Whole families: the protobuf runtime, the generated Mesos messages and the
# codecs of proto/mesos.h; compiler and sanitizer support.
set(families "^protobuf_c_" "^mesos__v1__" "^mesos_" "^__stack_chk_fail$" "^__.*_chk$"
  "^__asan_" "^__ubsan_" "^__sanitizer_" "^__gcov_" "^__llvm_" "^__msan_"
  "^_GLOBAL_OFFSET_TABLE_$")

function(symbols out)
  execute_process(COMMAND ${NM} ${ARGN} ${ARCHIVE} OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} ${ARGN} ${ARCHIVE} failed")
  endif()
  string(REGEX MATCHALL "[^\n]+" lines "${text}")
  set(names)
  foreach(line ${lines})
    if(line MATCHES ":$")
      continue() # "member.o:"
    endif()
    string(REGEX REPLACE ".* " "" name "${line}")
    list(APPEND names ${name})
  endforeach()
  list(REMOVE_DUPLICATES names)
  set(${out} ${names} PARENT_SCOPE)
endfunction()

symbols(undefined -u)
symbols(defined --defined-only)
set(bad)
foreach(name ${undefined})
  if(name IN_LIST defined OR name IN_LIST libc OR name IN_LIST borrowed)
    continue()
  endif()
  set(ok FALSE)
  foreach(f ${families})
    if(name MATCHES "${f}")
      set(ok TRUE)
    endif()
  endforeach()
  if(NOT ok)
    list(APPEND bad ${name})
  endif()
endforeach()
if(bad)
  string(REPLACE ";" " " bad "${bad}")
  message(FATAL_ERROR "the executor's core (${ARCHIVE}) uses what a pure core may not: ${bad}\n"
    "Keep I/O, time, randomness and system calls in the shell (runtime.c), or, if the "
    "function is pure, add it to executor/core_purity.cmake.")
endif()
list(LENGTH undefined n)
message(STATUS "the executor's core is pure: ${n} symbols used, all allowed")
