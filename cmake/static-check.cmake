# The static executor must stay one self-contained file: every build of `all`
# checks with readelf that it has no program interpreter (PT_INTERP) and no
# NEEDED entry, and fails otherwise (scripts/release checks its artifact too).
add_custom_target(static_check ALL
  COMMAND sh ${CMAKE_SOURCE_DIR}/scripts/check-static $<TARGET_FILE:executor>
  DEPENDS executor
  COMMENT "Checking that the executor is static (no PT_INTERP, no NEEDED)"
  VERBATIM)
