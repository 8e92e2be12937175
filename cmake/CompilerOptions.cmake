# Warnings as errors apply to our own targets only; third-party headers come in as SYSTEM includes.
function(piw_set_project_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
                                           -Wconversion -Wsign-conversion
                                           -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
  # GCC 12 reports false positives at -O2/-O3 inside libstdc++ string concatenation (-Wrestrict,
  # GCC bug 105329) and through yaml-cpp's node iterators (-Wdangling-pointer); they are off for GCC 12.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12)
    target_compile_options(${target} PRIVATE -Wno-restrict -Wno-dangling-pointer)
  endif()
  if(PIW_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(PIW_SANITIZERS)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# Release is -O2: the figures in the README and bench/ are measured at this level.
set(CMAKE_CXX_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "Release flags" FORCE)

# libFuzzer builds (fuzz/, docs/fuzzing.md): clang only. Everything compiled gets libFuzzer's
# coverage instrumentation and ASan + UBSan; only the fuzz targets link libFuzzer's main().
if(PIW_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PIW_FUZZ needs clang with libFuzzer: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
