# `fakeagent conformance`, included by fakeagent/CMakeLists.txt: its sources
# join fakeagentlib, and its cases are compiled in, so the one binary
# carries the suite. The list below is the
# suite's order (the order of the table); every file in cases/ must be in it
# (tests/unit/test_conformance_cases.c checks).
set(cf_case_names
  subscribe launch-running exit-zero-finished exit-nonzero-failed signal-failed exec-form
  environment kill-killed kill-policy-grace kill-event-grace killing-state
  no-killing-without-capability kill-tree shutdown shutdown-grace terminal-ack
  resubscribe-unacknowledged-updates resubscribe-unacknowledged-task agent-restart agent-gone
  recovery-timeout disconnect-no-checkpoint unknown-event heartbeat-event message-event
  error-event garbage-record oversized-record max-completion-time health-command-healthy
  health-command-failures health-grace-period health-command-timeout health-http health-tcp
  no-health-after-kill)
set(cf_cases)
foreach(name ${cf_case_names})
  list(APPEND cf_cases ${CMAKE_CURRENT_SOURCE_DIR}/conformance/cases/${name}.json)
endforeach()
set(cf_embedded ${CMAKE_CURRENT_BINARY_DIR}/conformance_cases.c)
add_custom_command(OUTPUT ${cf_embedded}
  COMMAND ${CMAKE_COMMAND} -DOUT=${cf_embedded} "-DCASES=${cf_cases}"
    -P ${CMAKE_CURRENT_SOURCE_DIR}/conformance/embed.cmake
  DEPENDS ${cf_cases} ${CMAKE_CURRENT_SOURCE_DIR}/conformance/embed.cmake
  COMMENT "Compiling in the conformance cases" VERBATIM)
target_sources(fakeagentlib PRIVATE conformance/command.c conformance/cases.c
  conformance/runner.c conformance/report.c ${cf_embedded})
