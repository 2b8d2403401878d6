# Runs at install time (install(CODE) in watchdog/CMakeLists.txt), because
# only then is the final prefix known: `cpack -G DEB` installs with prefix
# /usr, `cmake --install --prefix P` with P, plain `cmake --install` with
# the configured CMAKE_INSTALL_PREFIX. The unit names absolute paths, so it
# is configured here rather than at configure time.
#
# Layout, like GNUInstallDirs' special case for /usr: prefix /usr puts the
# config in /etc/oomlab and the unit in /lib/systemd/system (Debian 12's
# system unit directory, where lintian and deb-systemd-helper look); any
# other prefix keeps both under it.
#
# Inputs (set by the install(CODE) that includes this file):
#   OOMLAB_WD_SOURCE_DIR  watchdog/ in the source tree
#   OOMLAB_WD_BINARY_DIR  its build directory (the configured unit goes there)
#   OOMLAB_WD_BINDIR, OOMLAB_WD_DOCDIR  GNUInstallDirs' relative (or absolute) dirs

function(oomlab_full_dir out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(CMAKE_INSTALL_FULL_SYSCONFDIR "/etc")
  set(unit_dir "/lib/systemd/system")
else()
  set(CMAKE_INSTALL_FULL_SYSCONFDIR "${CMAKE_INSTALL_PREFIX}/etc")
  set(unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()
oomlab_full_dir(CMAKE_INSTALL_FULL_BINDIR "${OOMLAB_WD_BINDIR}")
oomlab_full_dir(CMAKE_INSTALL_FULL_DOCDIR "${OOMLAB_WD_DOCDIR}")

configure_file("${OOMLAB_WD_SOURCE_DIR}/oomlab-watchdog.service"
               "${OOMLAB_WD_BINARY_DIR}/install/oomlab-watchdog.service" @ONLY)
file(INSTALL DESTINATION "${unit_dir}" TYPE FILE FILES "${OOMLAB_WD_BINARY_DIR}/install/oomlab-watchdog.service")

# The example is the config the unit reads (`--config .../watchdog.json`), so
# the service starts right after installation; the package marks it a
# conffile. An existing local config is never overwritten: the new example
# then goes beside it as watchdog.json.example.
set(config_dir "${CMAKE_INSTALL_FULL_SYSCONFDIR}/oomlab")
if(EXISTS "$ENV{DESTDIR}${config_dir}/watchdog.json")
  file(INSTALL DESTINATION "${config_dir}" TYPE FILE RENAME watchdog.json.example
       FILES "${OOMLAB_WD_SOURCE_DIR}/oomlab-watchdog.example.json")
else()
  file(INSTALL DESTINATION "${config_dir}" TYPE FILE RENAME watchdog.json
       FILES "${OOMLAB_WD_SOURCE_DIR}/oomlab-watchdog.example.json")
endif()
