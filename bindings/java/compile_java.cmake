# Compiles every .java file under SOURCE_DIRS ("|"-separated) into CLASSES,
# with CLASSPATH, then packs them into OUTPUT_JAR if given, and touches STAMP
# if given. Run with cmake -P at build time, when SWIG's files exist.
string(REPLACE "|" ";" dirs "${SOURCE_DIRS}")
set(sources)
foreach(dir IN LISTS dirs)
  file(GLOB_RECURSE found "${dir}/*.java")
  list(APPEND sources ${found})
endforeach()
if(NOT sources)
  message(FATAL_ERROR "no .java files under ${SOURCE_DIRS}")
endif()

file(REMOVE_RECURSE "${CLASSES}")
file(MAKE_DIRECTORY "${CLASSES}")
set(classpath)
if(CLASSPATH)
  set(classpath -classpath "${CLASSPATH}")
endif()
execute_process(
  COMMAND "${JAVAC}" --release 17 -encoding UTF-8 -Xlint:all -Werror ${classpath}
    -d "${CLASSES}" ${sources}
  RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "javac failed")
endif()

if(OUTPUT_JAR)
  execute_process(COMMAND "${JAR}" --create --file "${OUTPUT_JAR}" -C "${CLASSES}" .
    RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "jar failed")
  endif()
endif()
if(STAMP)
  file(TOUCH "${STAMP}")
endif()
