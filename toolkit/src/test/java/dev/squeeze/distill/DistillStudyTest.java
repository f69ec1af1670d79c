package dev.squeeze.distill;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.model.Zoo;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The seeds × settings study behind the CLI command and the notebook. */
class DistillStudyTest {

    @Test
    void pairsScratchAndDistilledStudentsAndSummarisesOverSeeds() {
        List<String> lines = new ArrayList<>();
        List<DistillStudy.Run> runs = DistillStudy.run(Zoo.kerasStudent(DistillerTest.SHAPE, 3), Zoo.kerasStudent(DistillerTest.SHAPE, 3),
                DistillerTest.synthetic(64, 1), DistillerTest.synthetic(30, 2), DistillerTest.config(1).build(), new long[] {4, 5},
                List.of(DistillStudy.Setting.keras(0.1, 3), DistillStudy.Setting.keras(1.0, 3)), (seed, line) -> lines.add(seed + " " + line));
        assertEquals(4, runs.size());
        assertEquals(8, lines.size(), lines.toString());
        for (DistillStudy.Run r : runs) {
            if (r.setting().startsWith("KD α 1.0")) {
                assertEquals(r.scratchAccuracy(), r.distilledAccuracy(), 0, "α = 1 is the scratch run: same weights, shuffles and steps");
            }
            assertEquals(List.of("student_loss", "distillation_loss"), List.copyOf(r.lastEpochTerms().keySet()));
            assertEquals(r.teacherParameters(), r.studentParameters());
        }
        List<DistillStudy.Summary> sums = DistillStudy.summarise(runs);
        assertEquals(List.of("KD α 0.1 T 3.0", "KD α 1.0 T 3.0"), sums.stream().map(DistillStudy.Summary::setting).toList());
        DistillStudy.Summary s = sums.get(0);
        double a = runs.get(0).distilledAccuracy(), b = runs.get(2).distilledAccuracy();
        assertEquals(2, s.seeds());
        assertEquals((a + b) / 2, s.distilledMean(), 1e-12);
        assertEquals(Math.abs(a - b) / Math.sqrt(2), s.distilledStd(), 1e-12, "sample standard deviation");
        assertEquals(0, sums.get(1).gainMeanPoints(), 0);
    }

    @Test
    void rowsCountTeacherAndScratchOncePerSeedAndPairTheGain() {
        java.util.Map<String, Double> none = java.util.Map.of();
        List<DistillStudy.Run> runs = List.of(
                new DistillStudy.Run(1, "A", 0.90, 0.80, 0.82, 1000, 10, 0, 0, 0, none),
                new DistillStudy.Run(1, "B", 0.90, 0.80, 0.79, 1000, 10, 0, 0, 0, none),
                new DistillStudy.Run(2, "A", 0.94, 0.84, 0.88, 1000, 10, 0, 0, 0, none),
                new DistillStudy.Run(2, "B", 0.94, 0.84, 0.83, 1000, 10, 0, 0, 0, none));
        List<DistillStudy.Row> rows = DistillStudy.rows(runs);
        assertEquals(List.of("teacher", "scratch student", "A", "B"), rows.stream().map(DistillStudy.Row::model).toList());
        assertEquals(List.of(1000L, 10L, 10L, 10L), rows.stream().map(DistillStudy.Row::parameters).toList());
        assertEquals(92.0, rows.get(0).accuracyMean(), 1e-9);
        assertEquals(2 * Math.sqrt(2), rows.get(0).accuracyStd(), 1e-9, "sample std of 90 and 94 %");
        assertEquals(2, rows.get(1).seeds());
        assertTrue(Double.isNaN(rows.get(1).gainMeanPoints()));
        assertEquals(85.0, rows.get(2).accuracyMean(), 1e-9);
        assertEquals(3.0, rows.get(2).gainMeanPoints(), 1e-9, "A gains 2 and 4 points");
        assertEquals(Math.sqrt(2), rows.get(2).gainStdPoints(), 1e-9);
        assertEquals(-1.0, rows.get(3).gainMeanPoints(), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> DistillStudy.rows(List.of()));
    }

    @Test
    void teacherTrainsWithItsOwnConfigAndStudentsWithTheirs() {
        var arch = Zoo.kerasStudent(DistillerTest.SHAPE, 3);
        var train = DistillerTest.synthetic(64, 1);
        var test = DistillerTest.synthetic(30, 2);
        long[] seeds = {4};
        var settings = List.of(DistillStudy.Setting.keras(0.5, 4));
        List<String> lines = new ArrayList<>();
        DistillStudy.Run same = DistillStudy.run(arch, arch, train, test, DistillerTest.config(1).build(), seeds, settings, null).get(0);
        DistillStudy.Run bornAgain = DistillStudy.run(arch, DistillerTest.config(3).build(), arch, train, test,
                DistillerTest.config(1).build(), seeds, settings, (seed, line) -> lines.add(line)).get(0);
        // the same architecture, seed and config make the teacher the scratch student, bit for bit
        assertEquals(same.scratchAccuracy(), same.teacherAccuracy(), 0);
        assertEquals(same.scratchAccuracy(), bornAgain.scratchAccuracy(), 0, "the students keep their 1-epoch config");
        assertTrue(lines.get(0).contains("3 epochs"), lines.get(0));
        // a teacher trained 3 epochs gives other soft targets, so the distillation term at the last epoch differs
        assertNotEquals(same.lastEpochTerms().get("distillation_loss"), bornAgain.lastEpochTerms().get("distillation_loss"));
        try (var teacher = dev.squeeze.model.Network.create(arch, 4)) {
            double alone = dev.squeeze.train.Training.fit(teacher, train, test, DistillerTest.config(3).optSeed(4).build()).testAccuracy();
            assertEquals(alone, bornAgain.teacherAccuracy(), 0, "the teacher is the 3-epoch network of the run's seed");
        }
    }
}
