# The Debian package: `cpack -G DEB` in the build directory makes
# oomlab_<version>-<release>_<arch>.deb from the install() rules, plus what a
# Debian binary package needs beyond them: manual pages generated from the
# binaries' --help (help2man: they cannot drift from the options), the
# Debian changelog and the machine-readable copyright in
# /usr/share/doc/oomlab, and the maintainer scripts of packaging/debian that
# enable the watchdog's unit. packaging/README.md explains the choices and
# the lintian tags that remain.

set(OOMLAB_DEB_RELEASE 1)
set(pkg_dir ${PROJECT_SOURCE_DIR}/packaging)
set(pkg_out ${PROJECT_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${pkg_out}/man)

# The changelog's top entry must be this build's version, else lintian and
# dpkg disagree with the package about what it is.
file(STRINGS ${pkg_dir}/changelog changelog_head LIMIT_COUNT 1)
if(NOT changelog_head MATCHES "^oomlab \\(${PROJECT_VERSION}-${OOMLAB_DEB_RELEASE}\\) ")
  message(FATAL_ERROR "packaging/changelog starts with '${changelog_head}': "
                      "add an entry for ${PROJECT_VERSION}-${OOMLAB_DEB_RELEASE} (the project version)")
endif()
# Reproducible outputs: man page dates and gzip headers come from the
# changelog's date, not the build time.
file(STRINGS ${pkg_dir}/changelog changelog_trailer REGEX "^ -- " LIMIT_COUNT 1)
string(REGEX REPLACE "^ -- .*>  " "" changelog_date "${changelog_trailer}")
execute_process(COMMAND date -d "${changelog_date}" +%s OUTPUT_VARIABLE OOMLAB_SOURCE_DATE_EPOCH
                OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE date_rc)
if(NOT date_rc EQUAL 0)
  message(FATAL_ERROR "packaging/changelog: cannot read the date of the top entry: '${changelog_date}'")
endif()

find_program(GZIP_EXECUTABLE gzip REQUIRED)
add_custom_command(OUTPUT ${pkg_out}/changelog.Debian.gz
  COMMAND ${GZIP_EXECUTABLE} -9nc ${pkg_dir}/changelog > ${pkg_out}/changelog.Debian.gz
  DEPENDS ${pkg_dir}/changelog VERBATIM)
set(pkg_outputs ${pkg_out}/changelog.Debian.gz)
install(FILES ${pkg_out}/changelog.Debian.gz ${pkg_dir}/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Manual pages: help2man runs each installed tool with --help at build time.
# NAME line, section; tools not built (oomlab-trace without BPF) are skipped.
set(oomlab_man_pages
  "oomlab-repro|1|run OOM-livelock scenarios in a memory cgroup and report what happened"
  "oomlab-analyze|1|turn kernel logs into a JSON verdict about OOM livelocks and stalls"
  "oomlab-vm|1|boot a Debian kernel under qemu and run an oomlab scenario there"
  "oomlab-trace|1|trace reclaim episodes, mmap_lock waits and OOM victims with BPF"
  "oomlab-watchdog|8|detect allocation stalls and undying OOM victims, kill to restore progress")
find_program(HELP2MAN_EXECUTABLE help2man)
if(OOMLAB_SANITIZE)
  # Nobody packages a sanitizer build, and running its binaries at build
  # time would make the build depend on LeakSanitizer's verdict on --help.
  message(STATUS "OOMLAB_SANITIZE: no manual pages in this build")
elseif(NOT HELP2MAN_EXECUTABLE)
  message(WARNING "help2man not found: no manual pages in the package (apt-get install help2man, or scripts/setup-deps.sh)")
else()
  foreach(entry ${oomlab_man_pages})
    string(REPLACE "|" ";" entry "${entry}")
    list(GET entry 0 tool)
    list(GET entry 1 section)
    list(GET entry 2 what)
    if(NOT TARGET ${tool})
      continue()
    endif()
    set(extra ${pkg_dir}/man/${tool}.h2m)
    set(include_args)
    set(include_deps)
    if(EXISTS ${extra})
      set(include_args --include=${extra})
      set(include_deps ${extra})
    endif()
    set(page ${pkg_out}/man/${tool}.${section})
    add_custom_command(OUTPUT ${page}.gz
      COMMAND ${CMAKE_COMMAND} -E env SOURCE_DATE_EPOCH=${OOMLAB_SOURCE_DATE_EPOCH}
              ${HELP2MAN_EXECUTABLE} --no-info --no-discard-stderr --section=${section}
              --name=${what} --version-string=${PROJECT_VERSION}
              --include=${pkg_dir}/man/common.h2m ${include_args}
              --output=${page} $<TARGET_FILE:${tool}>
      COMMAND ${GZIP_EXECUTABLE} -9nf ${page}
      DEPENDS ${tool} ${pkg_dir}/man/common.h2m ${include_deps}
      COMMENT "help2man: ${tool}.${section}" VERBATIM)
    list(APPEND pkg_outputs ${page}.gz)
    install(FILES ${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
endif()
add_custom_target(oomlab_packaging_files ALL DEPENDS ${pkg_outputs})

# CPack: one binary package for every tool.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME oomlab)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "oomlab maintainers <maintainers@users.noreply.h-seed-bc38d585.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "reproduce, watch and explain Linux OOM livelocks")
# Install into a DESTDIR with the final prefix /usr, so that install-time
# code (the watchdog's unit and config) sees the prefix the package has.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${OOMLAB_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# CPack writes the summary as the synopsis line; this is the extended text.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "oomlab finds the states where memory is exhausted and the kernel makes no
progress: an OOM victim that cannot exit, tasks stalled in reclaim with no OOM
kill, thrashing that never ends, OOM kills that free nothing.
.
oomlab-watchdog is a daemon (a systemd service, enabled on installation) that
reports allocation stalls and undying OOM victims and kills through a pidfd
and process_mrelease to restore progress, with Prometheus metrics and
alerting rules. oomlab-repro runs a catalogue of OOM-livelock reproducers in a
memory cgroup with a deadline; oomlab-analyze turns kernel logs (dmesg,
serial, journal) into a JSON verdict; oomlab-vm runs a scenario on a Debian
kernel under qemu; oomlab-trace traces reclaim, mmap_lock waits and OOM
victims with BPF.")
# Beyond the libraries: the unit reloads with /bin/kill (procps, not in a
# minimal Debian). oomlab-vm boots qemu with a busybox initramfs (cpio, and
# depmod and mkfs.ext4 for its disk); the textfile collector of node_exporter
# scrapes the watchdog's metrics.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "procps")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "qemu-system-x86, busybox-static, cpio, kmod, e2fsprogs, prometheus-node-exporter")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${pkg_dir}/debian/postinst ${pkg_dir}/debian/prerm ${pkg_dir}/debian/postrm ${pkg_dir}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
