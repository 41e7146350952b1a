package org.nvdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.nvdb.TestSupport.assertStatus;
import static org.nvdb.TestSupport.randomVector;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Compact element types: chosen in Options, kept by stores, exact float32 answers. */
class CompactTest {
  @TempDir Path tmp;

  private static Database load(String locator, ElementType type, float[][] vectors) {
    Database db = Database.open(locator, new Options().dim(vectors[0].length).metric(Metric.L2)
        .elementType(type));
    String[] ids = new String[vectors.length];
    for (int i = 0; i < ids.length; i++) ids[i] = "r" + i;
    db.upsert(ids, vectors, null);
    return db;
  }

  private static float[][] vectors(int n, int dim) {
    Random random = new Random(17);
    float[][] out = new float[n][];
    for (int i = 0; i < n; i++) out[i] = randomVector(random, dim);
    return out;
  }

  @ParameterizedTest
  @EnumSource(value = ElementType.class, names = {"FLOAT16", "BFLOAT16", "INT8"})
  void compactScansGiveFloat32AnswersAndOriginals(ElementType type) {
    float[][] data = vectors(2000, 48);
    try (Database compact = load(":memory:", type, data);
        Database exact = load(":memory:", ElementType.FLOAT32, data)) {
      assertEquals(type, compact.elementType());
      assertEquals(ElementType.FLOAT32, exact.elementType());
      for (int q = 0; q < 20; q++) {
        List<Hit> got = compact.query(data[q * 7], 5);
        List<Hit> want = exact.query(data[q * 7], 5);
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
          assertEquals(want.get(i).id(), got.get(i).id());
          assertEquals(want.get(i).score(), got.get(i).score()); // exact, not approximate
        }
      }
      // get returns the float32 vector as given, not its compact code.
      assertArrayEquals(data[11], compact.get("r11").get(0).vector());
      assertTrue(compact.info().contains("\"element_type\":\"" + type.name().toLowerCase() + "\""));
    }
  }

  @Test
  void storesKeepTheirElementTypeAndRefuseAnother() {
    String file = tmp.resolve("compact.nvdb").toString();
    float[][] data = vectors(100, 8);
    try (Database db = load(file, ElementType.INT8, data)) {
      assertEquals(ElementType.INT8, db.elementType());
    }
    try (Database db = Database.open(file)) {
      assertEquals(ElementType.INT8, db.elementType());
      assertEquals(100, db.count());
    }
    try (Database db = Database.open(file, new Options().mode(OpenMode.READ).elementType(ElementType.INT8))) {
      assertEquals("r3", db.query(data[3], 1).get(0).id());
    }
    NvdbException e = assertStatus(Status.EMISMATCH,
        () -> Database.open(file, new Options().mode(OpenMode.READ).elementType(ElementType.FLOAT16)));
    assertTrue(e.getMessage().contains("int8"), e.getMessage());
  }

  @Test
  void jsonFilesAreFloat32Only() {
    Path json = tmp.resolve("a.json");
    assertStatus(Status.EMISMATCH,
        () -> Database.open(json.toString(), new Options().dim(4).elementType(ElementType.BFLOAT16)));
    assertFalse(Files.exists(json));
    try (Database db = Database.open(json.toString(), new Options().dim(4))) {
      assertEquals(ElementType.FLOAT32, db.elementType());
    }
  }

  @Test
  void theDefaultIsFloat32() {
    try (Database db = Database.inMemory(3)) {
      assertEquals(ElementType.FLOAT32, db.elementType());
    }
  }
}
