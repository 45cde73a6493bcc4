# Embeds a web UI build (web/dist) in the skua binary: every file becomes a gzip-compressed string
# literal in a generated .cc, with its uncompressed size and a strong ETag (SHA-256 prefix); the
# table is what src/ui/embedded_files.h declares. Content types are derived from file names at
# run time (src/ui), so the embedded and the --query.static-files UI share one mapping.
#
# Included from CMakeLists.txt, this file defines skua_embed_web_assets(). Run with
# `cmake -P EmbedWebAssets.cmake` (by the build, never by hand) it is the generator itself.

if(NOT CMAKE_SCRIPT_MODE_FILE)
  set(_SKUA_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_FILE})

  # skua_embed_web_assets(NAME <lib> DIST <dir> DEPS <targets…>): a static library skua_<lib>
  # (alias skua::<lib>) defining skua::ui::EmbeddedUiFiles() from the files under DIST. A missing
  # or empty DIST gives an empty table. The .cc is regenerated when a file changes, and CMake
  # re-globs on every build, so files added or removed by `npm run build` are picked up too.
  function(skua_embed_web_assets)
    cmake_parse_arguments(A "" "NAME;DIST" "DEPS" ${ARGN})
    set(out ${CMAKE_CURRENT_BINARY_DIR}/${A_NAME}.cc)
    set(manifest ${CMAKE_CURRENT_BINARY_DIR}/${A_NAME}.files)
    set(files)
    set(relative)
    if(A_DIST)
      get_filename_component(A_DIST "${A_DIST}" ABSOLUTE BASE_DIR "${PROJECT_SOURCE_DIR}")
      # CONFIGURE_DEPENDS also covers a directory that does not exist yet: once it appears, the
      # next build re-runs CMake and embeds it.
      file(GLOB_RECURSE files LIST_DIRECTORIES false CONFIGURE_DEPENDS "${A_DIST}/*")
      list(SORT files)
      set(visible)
      foreach(f IN LISTS files)
        file(RELATIVE_PATH rel "${A_DIST}" "${f}")
        # Hidden files (".vite/manifest.json", ".DS_Store") are never served: not embedded either.
        if(NOT rel MATCHES "(^|/)\\.")
          list(APPEND relative "${rel}")
          list(APPEND visible "${f}")
        endif()
      endforeach()
      set(files ${visible})
    endif()
    # Rewritten only when the list changes, so an unchanged tree does not regenerate anything.
    string(REPLACE ";" "\n" manifest_text "${relative}")
    file(WRITE ${manifest}.tmp "${manifest_text}\n")
    file(COPY_FILE ${manifest}.tmp ${manifest} ONLY_IF_DIFFERENT)
    file(REMOVE ${manifest}.tmp)
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -DDIST=${A_DIST} -DMANIFEST=${manifest} -DOUTPUT=${out}
              -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/${A_NAME}.work -P ${_SKUA_EMBED_SCRIPT}
      DEPENDS ${manifest} ${files} ${_SKUA_EMBED_SCRIPT}
      COMMENT "Embedding the web UI (${A_DIST})"
      VERBATIM)
    add_library(skua_${A_NAME} STATIC ${out})
    add_library(skua::${A_NAME} ALIAS skua_${A_NAME})
    target_include_directories(skua_${A_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(skua_${A_NAME} PUBLIC ${A_DEPS})
    list(LENGTH relative n)
    if(NOT A_DIST)
      message(STATUS "Web UI: not embedded (SKUA_WEB_DIST is empty)")
    elseif(n EQUAL 0)
      message(STATUS "Web UI: no build found in '${A_DIST}'; skua will serve a 'UI not built' page")
    else()
      message(STATUS "Web UI: embedding ${n} files from ${A_DIST}")
    endif()
  endfunction()
  return()
endif()

# ---- Script mode: DIST, MANIFEST, OUTPUT and WORK_DIR are given with -D. ----

# C string literal text for a file name (only '"' and '\' need escaping in these paths).
function(_skua_c_string in out_var)
  string(REPLACE "\\" "\\\\" s "${in}")
  string(REPLACE "\"" "\\\"" s "${s}")
  set(${out_var} "\"${s}\"" PARENT_SCOPE)
endfunction()

file(STRINGS ${MANIFEST} paths)
string(REPEAT "[0-9a-f]" 128 line_pattern)
file(MAKE_DIRECTORY ${WORK_DIR})
set(body "")
set(table "")
set(index 0)
foreach(rel IN LISTS paths)
  if(rel STREQUAL "")
    continue()
  endif()
  # Hidden files (".vite/", ".DS_Store") are never served; do not embed them either.
  if(rel MATCHES "(^|/)\\.")
    continue()
  endif()
  set(src "${DIST}/${rel}")
  file(SIZE "${src}" size)
  file(SHA256 "${src}" sha)
  string(SUBSTRING "${sha}" 0 32 sha)
  set(gz "${WORK_DIR}/${index}.gz")
  file(ARCHIVE_CREATE OUTPUT "${gz}" PATHS "${src}" FORMAT raw COMPRESSION GZip
       COMPRESSION_LEVEL 9)
  file(SIZE "${gz}" gz_size)
  # Keep the compressed form only when it saves at least a tenth.
  math(EXPR limit "${size} - ${size} / 10")
  if(gz_size LESS limit)
    file(READ "${gz}" hex HEX)
    # Bytes 4..7 of a gzip header are the modification time: zero them so that the generated
    # source (and the binary) only change when a file's contents do.
    string(SUBSTRING "${hex}" 0 8 head)
    string(SUBSTRING "${hex}" 16 -1 tail)
    set(hex "${head}00000000${tail}")
    set(gzipped true)
  else()
    file(READ "${src}" hex HEX)
    set(gzipped false)
  endif()
  file(REMOVE "${gz}")
  # 64 bytes per source line, each as \xNN (safe: every byte is escaped, so no escape can run on).
  string(REGEX REPLACE "(${line_pattern})" "\\1\n" hex "${hex}")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" lit "${hex}")
  string(REGEX REPLACE "\n([^\n])" "\"\n    \"\\1" lit "${lit}")
  string(REGEX REPLACE "\n$" "" lit "${lit}")
  _skua_c_string("${rel}" rel_lit)
  string(APPEND body "// ${rel}\nconstexpr char kData${index}[] =\n    \"${lit}\";\n")
  string(APPEND table
         "    {${rel_lit}, {kData${index}, sizeof(kData${index}) - 1}, ${gzipped}, ${size}ULL, "
         "\"\\\"${sha}\\\"\"},\n")
  math(EXPR index "${index} + 1")
endforeach()

if(index EQUAL 0)
  set(definition "std::span<const EmbeddedFile> EmbeddedUiFiles() { return {}; }\n")
else()
  string(CONCAT definition "constexpr EmbeddedFile kFiles[] = {\n" "${table}" "};\n\n"
         "}  // namespace\n\n"
         "std::span<const EmbeddedFile> EmbeddedUiFiles() { return kFiles; }\n")
  string(CONCAT body "namespace {\n\n" "${body}" "\n")
endif()
string(CONCAT text "// Generated by cmake/EmbedWebAssets.cmake from ${DIST}; do not edit.\n"
       "#include \"ui/embedded_files.h\"\n\nnamespace skua::ui {\n\n" "${body}" "${definition}"
       "\n}  // namespace skua::ui\n")
# Leave the file untouched when nothing changed, so nothing recompiles (the Ninja generator
# re-stats custom command outputs).
file(WRITE "${OUTPUT}.tmp" "${text}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
