package org.nvdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the jar finds its native library: next to itself, else where the install puts it, else on
 * java.library.path, else a clear error. Each case runs LoadProbe in a child JVM with a copy of
 * the jar.
 */
class LoadingTest {
  private static final String LIBRARY = System.mapLibraryName("nvdb_java");

  @TempDir Path tmp;

  private TestSupport.Child probe(Path jar, String libraryPath) throws Exception {
    return TestSupport.runJava(List.of("-Djava.library.path=" + libraryPath),
        jar + ":" + TestSupport.testClasses(), "org.nvdb.LoadProbe");
  }

  private Path copyJar(String folder, boolean withLibrary) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(folder));
    Path jar = Files.copy(TestSupport.nvdbJar(), dir.resolve("nvdb.jar"));
    if (withLibrary) Files.copy(TestSupport.nvdbJar().resolveSibling(LIBRARY), dir.resolve(LIBRARY));
    return jar;
  }

  @Test
  void theLibraryNextToTheJarIsFound() throws Exception {
    TestSupport.Child child = probe(copyJar("beside", true), "/nonexistent");
    assertEquals(0, child.exitCode, child.output);
    assertEquals("loaded " + System.getProperty("nvdb.version"), child.output.strip());
  }

  @Test
  void theLibraryWhereTheInstallPutsItIsFound() throws Exception {
    Path jarDir = Files.createDirectories(tmp.resolve("prefix/share/java"));
    Path jar = Files.copy(TestSupport.nvdbJar(), jarDir.resolve("nvdb.jar"));
    Path jniDir = jarDir.resolve(InstallLayout.JNI_DIR_FROM_JAR).normalize();
    assertTrue(jniDir.startsWith(tmp), jniDir.toString());
    Files.createDirectories(jniDir);
    Files.copy(TestSupport.nvdbJar().resolveSibling(LIBRARY), jniDir.resolve(LIBRARY));
    TestSupport.Child child = probe(jar, "/nonexistent");
    assertEquals(0, child.exitCode, child.output);
    assertEquals("loaded " + System.getProperty("nvdb.version"), child.output.strip());
  }

  @Test
  void theLibraryIsFoundOnJavaLibraryPath() throws Exception {
    Path buildDir = TestSupport.nvdbJar().getParent();
    TestSupport.Child child = probe(copyJar("alone", false), buildDir.toString());
    assertEquals(0, child.exitCode, child.output);
    assertEquals("loaded " + System.getProperty("nvdb.version"), child.output.strip());
  }

  @Test
  void aMissingLibraryGivesAClearErrorEveryTime() throws Exception {
    Path jar = copyJar("missing", false);
    TestSupport.Child child = probe(jar, tmp.resolve("missing").toString());
    assertEquals(3, child.exitCode, child.output);
    String[] lines = child.output.strip().split("\n");
    assertEquals(2, lines.length, child.output);
    for (String line : lines) {
      assertTrue(line.contains("nvdb: cannot load the native library " + LIBRARY), line);
      assertTrue(line.contains(jar.resolveSibling(LIBRARY).toString()), line);
      assertTrue(line.contains("java.library.path=" + tmp.resolve("missing")), line);
    }
  }
}
