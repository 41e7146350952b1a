package org.nvdb;

import java.nio.charset.StandardCharsets;

/**
 * Strings cross to nvdb as standard UTF-8 bytes. JNI's own string functions use "modified
 * UTF-8", which encodes NUL and characters outside the Basic Multilingual Plane differently, so
 * the conversion happens here instead.
 */
final class Utf8 {
  private Utf8() {}

  /**
   * The UTF-8 bytes of s (null for null). nvdb takes NUL-terminated strings, so a NUL inside
   * would silently cut the string short, and an unpaired surrogate has no UTF-8 form: both are
   * rejected with the given status, naming the argument.
   */
  static byte[] encode(String s, int status, String what) {
    if (s == null) return null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\0') {
        throw new NvdbException(status, what + " contains a NUL character at index " + i);
      }
      if (Character.isHighSurrogate(c) && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new NvdbException(status, what + " has an unpaired surrogate at index " + i);
      }
    }
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** As above, for arguments without a more specific status. */
  static byte[] encode(String s) {
    return encode(s, Status.EINVAL, "a string argument");
  }

  static String decode(byte[] utf8) {
    return utf8 == null ? null : new String(utf8, StandardCharsets.UTF_8);
  }
}
