# Release packaging: scripts/release (or `make release` in any build directory,
# which runs it) produces, under build/release/dist/:
#   executor-<git describe>-linux-x86_64/            the stripped static executor,
#                                                    LICENSE, README.md
#   executor-<git describe>-linux-x86_64.tar.gz      the same directory as a tarball
#   mesos-executor_<version>_amd64.deb               executor and the three fakes in
#                                                    /usr/bin, dependencies from dpkg-shlibdeps
# The executor is the static one (-DEXECUTOR_STATIC=ON against scripts/static-deps'
# prefix, built by scripts/release in build/release-static and handed to this
# file as RELEASE_EXECUTOR): no interpreter, no shared library, so the .deb
# needs nothing for it; the fakes stay dynamic. Everything is built with
# -O2 -DNDEBUG and stripped.
#
# A distribution that prefers its own shared libraries configures a Release
# build with -DRELEASE_SHARED=ON: `make release` there packages that build's
# executor, linked against the system's libcurl, libuv, protobuf-c, cJSON and
# mbedTLS (dpkg-shlibdeps lists them).
#
# Also here: the checks that keep the user's documentation honest (the example
# hook compiles and works, docs/configuration.md names every variable).

set(RELEASE_VERSION "${GIT_DESCRIBE}")
string(TOLOWER "${CMAKE_SYSTEM_NAME}-${CMAKE_SYSTEM_PROCESSOR}" RELEASE_PLATFORM)
set(RELEASE_NAME "executor-${RELEASE_VERSION}-${RELEASE_PLATFORM}")
set(RELEASE_DIST "${CMAKE_BINARY_DIR}/dist")

# A Debian version from `git describe`: v1.2.3-4-gabc-dirty -> 1.2.3+4.gabc.dirty;
# an untagged tree (abc1234-dirty) -> <PROJECT_SEMVER>~gabc1234.dirty, which
# sorts before any tagged release of that number.
if(GIT_DESCRIBE MATCHES "^v?([0-9]+\\.[0-9]+\\.[0-9]+)(.*)$")
  set(_deb_ver "${CMAKE_MATCH_1}")
  set(_deb_rest "${CMAKE_MATCH_2}")
  string(REGEX REPLACE "^-" "+" _deb_rest "${_deb_rest}")
  string(REPLACE "-" "." _deb_rest "${_deb_rest}")
  set(RELEASE_DEB_VERSION "${_deb_ver}${_deb_rest}")
else()
  string(REPLACE "-" "." _deb_rest "${GIT_DESCRIBE}")
  set(RELEASE_DEB_VERSION "${PROJECT_SEMVER}~g${_deb_rest}")
endif()

option(RELEASE_SHARED "Release artifacts carry this build's executor, linked against the \
system's shared libraries (for a distribution), not the static one" OFF)
set(RELEASE_EXECUTOR "" CACHE FILEPATH
  "The static executor the release artifacts carry (scripts/release sets it)")
set(RELEASE_IS_CLEAN_BUILD OFF)
if(CMAKE_BUILD_TYPE STREQUAL "Release" AND CMAKE_C_FLAGS_RELEASE STREQUAL "-O2 -DNDEBUG"
   AND NOT SANITIZE AND NOT FUZZ AND NOT COVERAGE AND (RELEASE_EXECUTOR OR RELEASE_SHARED))
  set(RELEASE_IS_CLEAN_BUILD ON)
endif()
if(RELEASE_EXECUTOR AND RELEASE_SHARED)
  message(FATAL_ERROR "RELEASE_EXECUTOR (the static executor) and RELEASE_SHARED exclude each other")
endif()

# ---- install rules (what the .deb holds)
set(_release_present "")
if(RELEASE_EXECUTOR)
  install(PROGRAMS ${RELEASE_EXECUTOR} DESTINATION bin RENAME executor COMPONENT runtime)
elseif(TARGET executor)
  install(TARGETS executor RUNTIME DESTINATION bin COMPONENT runtime)
  list(APPEND _release_present executor)
endif()
foreach(bin fakeagent fakeconsul fakevaas)
  if(TARGET ${bin})
    install(TARGETS ${bin} RUNTIME DESTINATION bin COMPONENT runtime)
    list(APPEND _release_present ${bin})
  endif()
endforeach()
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/LICENSE
  DESTINATION share/doc/mesos-executor COMPONENT runtime)

# ---- CPack: one Debian package
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "mesos-executor")
set(CPACK_PACKAGE_VERSION "${RELEASE_DEB_VERSION}")
set(CPACK_PACKAGE_VENDOR "mesos-executor")
set(CPACK_PACKAGE_CONTACT "mesos-executor maintainers <maintainers@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Mesos task executor for Marathon apps, with fake Mesos agent, Consul and VaaS")
set(CPACK_PACKAGE_DESCRIPTION
  "A custom Mesos executor (executor) that runs a Marathon task, health-checks it, \
registers it in Consul and VaaS and stops it gracefully, and the offline toolkit \
that exercises it without a cluster (fakeagent, fakeconsul, fakevaas).")
set(CPACK_RESOURCE_FILE_LICENSE "${CMAKE_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DIRECTORY "${RELEASE_DIST}")
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# dpkg-shlibdeps sees only the soname; the fakes' (and a shared executor's)
# HTTP clients use CURLOPT_PROTOCOLS_STR, which libcurl has since 7.85.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libcurl4 (>= 7.85.0)")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/allegro/mesos-executor")
set(CPACK_DEB_COMPONENT_INSTALL OFF)
include(CPack)

# ---- the `release` target
if(RELEASE_IS_CLEAN_BUILD)
  find_program(RELEASE_DPKG_SHLIBDEPS dpkg-shlibdeps)
  set(_release_stage "${RELEASE_DIST}/${RELEASE_NAME}")
  if(RELEASE_EXECUTOR)
    set(_release_exe "${RELEASE_EXECUTOR}")
  else()
    set(_release_exe "$<TARGET_FILE:executor>")
  endif()
  add_custom_target(release
    COMMAND ${CMAKE_COMMAND} -E rm -rf "${_release_stage}" "${_release_stage}.tar.gz"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${_release_stage}"
    COMMAND ${CMAKE_STRIP} --strip-all -o "${_release_stage}/executor" "${_release_exe}"
    COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_SOURCE_DIR}/LICENSE ${CMAKE_SOURCE_DIR}/README.md
            "${_release_stage}/"
    COMMAND ${CMAKE_COMMAND} -E chdir "${RELEASE_DIST}"
            ${CMAKE_COMMAND} -E tar czf "${RELEASE_NAME}.tar.gz" "${RELEASE_NAME}"
    COMMAND ${CMAKE_CPACK_COMMAND} --config "${CMAKE_BINARY_DIR}/CPackConfig.cmake" -G DEB
    COMMAND ${CMAKE_COMMAND} -E echo "release ${RELEASE_VERSION}: artifacts in ${RELEASE_DIST}"
    DEPENDS ${_release_present}
    WORKING_DIRECTORY "${CMAKE_BINARY_DIR}"
    COMMENT "Packaging ${RELEASE_NAME} (tarball and .deb)"
    VERBATIM)
  if(NOT RELEASE_DPKG_SHLIBDEPS)
    message(STATUS "release: dpkg-shlibdeps not found; `release` needs it for the .deb's "
      "dependencies (Debian package dpkg-dev)")
  endif()
else()
  # Not the build scripts/release configures: run it (the static executor and
  # the artifacts in build/release/dist), so that a sanitized, unoptimized or
  # dynamic binary is never shipped by accident.
  add_custom_target(release
    COMMAND sh "${CMAKE_SOURCE_DIR}/scripts/release"
    COMMENT "scripts/release: the static executor and the artifacts in build/release/dist"
    USES_TERMINAL
    VERBATIM)
endif()

# ---- checks that keep the docs and examples honest
# The example hook users copy compiles in every build, with the build's flags
# (tests/unit/test_example_hooks.c also drives it).
if(TARGET hookslib)
  add_library(example_hook OBJECT ${CMAKE_SOURCE_DIR}/examples/hooks/example_hook.c)
  target_link_libraries(example_hook PRIVATE hookslib)
endif()
if(BUILD_TESTS AND NOT FUZZ AND TARGET executor)
  # Every variable `executor --help` lists appears in docs/configuration.md.
  add_test(NAME docs/configuration_names_every_variable_of_executor_help
    COMMAND sh -c [=[
      help=$("$1" --help) || { echo "cannot run $1 --help"; exit 1; }
      vars=$(printf '%s\n' "$help" | sed -n 's/^  \([A-Z][A-Z0-9_]*\) .*/\1/p')
      [ "$(printf '%s\n' "$vars" | wc -l)" -ge 20 ] ||
        { echo "executor --help lists fewer than 20 variables: $vars"; exit 1; }
      missing=$(for v in $vars; do grep -q "\`$v\`" "$2" || echo "$v"; done)
      [ -z "$missing" ] && echo "docs/configuration.md names every variable" && exit 0
      echo "docs/configuration.md does not document:" $missing; exit 1]=]
      sh $<TARGET_FILE:executor> ${CMAKE_SOURCE_DIR}/docs/configuration.md)
  set_tests_properties(docs/configuration_names_every_variable_of_executor_help
    PROPERTIES LABELS unit TIMEOUT 60)
endif()
# The Vagrant VM cannot run here, but its files can at least parse: checked
# when the tools are installed (Debian packages ruby and shellcheck).
if(BUILD_TESTS AND NOT FUZZ)
  find_program(RELEASE_RUBY ruby)
  find_program(RELEASE_SHELLCHECK shellcheck)
  if(RELEASE_RUBY)
    add_test(NAME vagrant/vagrantfile_parses COMMAND ${RELEASE_RUBY} -c Vagrantfile
      WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  endif()
  if(RELEASE_SHELLCHECK)
    file(GLOB _release_prov_scripts CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/provisioning/*.sh)
    add_test(NAME vagrant/provisioning_scripts_pass_shellcheck
      COMMAND ${RELEASE_SHELLCHECK} -x ${_release_prov_scripts} scripts/release
              examples/hooks/exec-hook.sh
      WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  endif()
endif()
