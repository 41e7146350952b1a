package org.nvdb;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.CodeSource;

/**
 * Loads the JNI library (libnvdb_java.so, which finds libnvdb.so.0 through its rpath or the
 * system's library path). It is looked for next to the jar that holds these classes first, so
 * that a jar and its library copied together just work, then where the install puts it relative
 * to the jar (share/java/nvdb.jar and lib/.../jni/libnvdb_java.so, see {@link InstallLayout}),
 * then on {@code java.library.path}.
 */
final class NativeLibrary {
  static final String NAME = "nvdb_java";

  private static boolean loaded;
  private static String failure;

  private NativeLibrary() {}

  static synchronized void load() {
    if (loaded) return;
    if (failure != null) throw new UnsatisfiedLinkError(failure);
    Path jarDir = jarDir();
    Path beside = jarDir == null ? null : jarDir.resolve(System.mapLibraryName(NAME));
    Path installed = jarDir == null ? null
        : jarDir.resolve(InstallLayout.JNI_DIR_FROM_JAR).resolve(System.mapLibraryName(NAME))
              .normalize();
    try {
      if (beside != null && Files.isRegularFile(beside)) {
        System.load(beside.toString());
      } else if (installed != null && Files.isRegularFile(installed)) {
        System.load(installed.toString());
      } else {
        System.loadLibrary(NAME);
      }
      loaded = true;
    } catch (UnsatisfiedLinkError e) {
      failure = "nvdb: cannot load the native library " + System.mapLibraryName(NAME)
          + " (looked for " + (beside == null ? "it next to the nvdb jar" : beside)
          + (installed == null ? "" : ", then " + installed)
          + ", then on java.library.path=" + System.getProperty("java.library.path")
          + "). Put it next to the jar or pass -Djava.library.path=DIR. Cause: " + e.getMessage();
      throw new UnsatisfiedLinkError(failure);
    }
  }

  /* The folder of our jar (or class folder), or null if unknown. */
  private static Path jarDir() {
    try {
      CodeSource source = NativeLibrary.class.getProtectionDomain().getCodeSource();
      URL location = source == null ? null : source.getLocation();
      if (location == null) return null;
      Path path = Paths.get(location.toURI());
      return Files.isDirectory(path) ? path : path.getParent();
    } catch (Exception e) { // no file location (a custom class loader): use java.library.path
      return null;
    }
  }
}
