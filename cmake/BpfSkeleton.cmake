# oomlab_bpf_skeleton(TARGET NAME SOURCE [HEADERS...]): compiles the BPF
# program SOURCE with clang -target bpf (CO-RE: the kernel structs it reads are
# declared in a small header beside it, on top of common/bpf/oomlab_bpf_types.h)
# into NAME.bpf.o, generates its libbpf skeleton NAME.skel.h (struct
# NAME_bpf) with bpftool, and adds the skeleton to TARGET's sources and its
# directory to TARGET's include path. HEADERS: what SOURCE includes (rebuild
# dependencies). The one rule for the stall tracer's program and the
# watchdog's task iterator; needs OOMLAB_BPF_CLANG and OOMLAB_BPFTOOL
# (tracer/CMakeLists.txt finds them).
function(oomlab_bpf_skeleton target name source)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
  set(skel ${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h)
  get_filename_component(src_dir ${source} DIRECTORY)
  # Kernel uapi headers (<asm/types.h>) live in the multiarch directory.
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-multiarch
                  OUTPUT_VARIABLE multiarch OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  string(REGEX REPLACE "^([a-z0-9_]+)-.*" "\\1" arch "${CMAKE_SYSTEM_PROCESSOR}")
  if(arch STREQUAL "x86_64")
    set(arch x86)
  elseif(arch STREQUAL "aarch64")
    set(arch arm64)
  endif()
  set(deps)
  foreach(h IN LISTS ARGN)
    list(APPEND deps ${src_dir}/${h})
  endforeach()
  get_filename_component(src_name ${source} NAME)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${OOMLAB_BPF_CLANG} -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_${arch}
            -Wall -Werror -I${src_dir} -I${PROJECT_SOURCE_DIR}/common/bpf -I/usr/include/${multiarch}
            -c ${source} -o ${obj}
    DEPENDS ${source} ${deps} ${PROJECT_SOURCE_DIR}/common/bpf/oomlab_bpf_types.h
    COMMENT "BPF: compiling ${src_name}"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${OOMLAB_BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}
    DEPENDS ${obj}
    COMMENT "BPF: generating ${name}.skel.h"
    VERBATIM)
  target_sources(${target} PRIVATE ${skel})
  target_include_directories(${target} PRIVATE ${CMAKE_CURRENT_BINARY_DIR})
endfunction()
