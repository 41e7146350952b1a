package org.nvdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.function.Executable;

/** Helpers shared by the binding's tests. */
final class TestSupport {
  private static final AtomicInteger NAMES = new AtomicInteger();

  private TestSupport() {}

  static float[] vec(float... v) {
    return v;
  }

  static float[] randomVector(Random random, int dim) {
    float[] v = new float[dim];
    for (int i = 0; i < dim; i++) v[i] = (float) random.nextGaussian();
    return v;
  }

  /** Runs call, which must fail with an NvdbException of the given status; returns it. */
  static NvdbException assertStatus(int status, Executable call) {
    NvdbException e = assertThrows(NvdbException.class, call);
    assertEquals(Status.name(status), Status.name(e.status()), "status of: " + e.getMessage());
    return e;
  }

  static Path fixtures() {
    return Paths.get(System.getProperty("nvdb.fixtures", "tests/fixtures"));
  }

  /** A shared-memory store name unique to this process and call ("shm:" + name to open). */
  static String uniqueShmName(String tag) {
    return "java-" + ProcessHandle.current().pid() + "-" + tag + "-" + NAMES.incrementAndGet();
  }

  /** The objects of shm:name: /dev/shm/nvdb-NAME and /dev/shm/nvdb-NAME.G. */
  static List<Path> shmObjects(String name) throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> objects =
        Files.newDirectoryStream(Paths.get("/dev/shm"), "nvdb-" + name + "*")) {
      for (Path p : objects) {
        String file = p.getFileName().toString();
        if (file.equals("nvdb-" + name) || file.startsWith("nvdb-" + name + ".")) out.add(p);
      }
    }
    return out;
  }

  static void removeShm(String name) throws IOException {
    for (Path p : shmObjects(name)) Files.deleteIfExists(p);
  }

  /** nvdb.jar, where the classes under test come from. */
  static Path nvdbJar() throws Exception {
    return Paths.get(Database.class.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  /** The folder of the compiled tests. */
  static Path testClasses() throws Exception {
    return Paths.get(
        TestSupport.class.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  /** What a child JVM printed (stdout and stderr) and its exit code. */
  static final class Child {
    final int exitCode;
    final String output;

    Child(int exitCode, String output) {
      this.exitCode = exitCode;
      this.output = output;
    }
  }

  /** Runs mainClass in a child JVM (with -Xcheck:jni, as the tests). */
  static Child runJava(List<String> jvmOptions, String classPath, String mainClass,
      String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xcheck:jni");
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(classPath);
    command.add(mainClass);
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Child(p.waitFor(), output);
  }

  /** This process's resident memory in kB (VmRSS of /proc/self/status). */
  static long residentKb() throws IOException {
    for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  /**
   * Everything observable about the records with these ids, the count and the additional data:
   * equal snapshots before and after a failed call show that it changed nothing.
   */
  static String snapshot(Database db, String... ids) {
    return db.count() + "|" + db.get(ids) + "|" + db.additionalData();
  }
}
