package dev.squeeze.prune.compress;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HuffmanTest {

    @Test
    void textbookExampleGetsOptimalLengths() {
        // CLRS's example: frequencies 45, 13, 12, 16, 9, 5 → lengths 1, 3, 3, 3, 4, 4 (224 bits for 100 symbols).
        long[] counts = {45, 13, 12, 16, 9, 5};
        Huffman h = Huffman.fromCounts(counts);
        assertArrayEquals(new int[] {1, 3, 3, 3, 4, 4}, h.lengths());
        assertEquals(224, h.encodedBits(counts));
    }

    @Test
    void canonicalCodesArePrefixFreeAndOrderedByLengthThenSymbol() {
        Huffman h = new Huffman(new int[] {2, 1, 3, 3});
        // Canonical: B=0, A=10, C=110, D=111.
        assertArrayEquals(new int[] {0b10, 0b0, 0b110, 0b111}, h.codes());
    }

    @Test
    void skewedSymbolsRoundTrip() {
        SplittableRandom r = new SplittableRandom(1);
        int[] symbols = new int[20_000];
        for (int i = 0; i < symbols.length; i++) symbols[i] = (int) Math.min(63, Math.floor(-Math.log(r.nextDouble()) * 6)); // geometric-ish
        long[] counts = Huffman.count(symbols, 64);
        Huffman h = Huffman.fromCounts(counts);
        byte[] bytes = h.encode(symbols);
        assertEquals((h.encodedBits(counts) + 7) / 8, bytes.length);
        assertArrayEquals(symbols, h.decode(bytes, symbols.length));
        assertTrue(bytes.length * 8.0 / symbols.length < 6, "Huffman beats the fixed 6-bit code on a skewed source");
    }

    @Test
    void oneSymbolAlphabetTakesOneBitPerOccurrence() {
        int[] symbols = {3, 3, 3, 3, 3, 3, 3, 3, 3};
        Huffman h = Huffman.fromCounts(Huffman.count(symbols, 5));
        assertArrayEquals(new int[] {0, 0, 0, 1, 0}, h.lengths());
        byte[] bytes = h.encode(symbols);
        assertEquals(2, bytes.length);
        assertArrayEquals(symbols, h.decode(bytes, symbols.length));
    }

    @Test
    void emptyInputHasNoCodes() {
        Huffman h = Huffman.fromCounts(new long[4]);
        assertArrayEquals(new int[4], h.lengths());
        assertEquals(0, h.encode(new int[0]).length);
        assertThrows(IllegalArgumentException.class, () -> h.encode(new int[] {1}));
    }

    @Test
    void lengthTableRoundTripsAndIsTrimmed() throws IOException {
        Huffman h = Huffman.fromCounts(new long[] {7, 0, 3, 1, 0, 0});
        byte[] table = h.writeLengths();
        assertEquals(2 + 4, table.length, "trailing unused symbols are not stored");
        Huffman back = Huffman.readLengths(new DataInputStream(new ByteArrayInputStream(table)));
        assertArrayEquals(java.util.Arrays.copyOf(h.lengths(), 4), back.lengths());
        int[] symbols = {0, 2, 3, 0, 0, 2};
        assertArrayEquals(symbols, back.decode(h.encode(symbols), symbols.length));
    }

    @Test
    void corruptTablesAndStreamsAreRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Huffman(new int[] {1, 1, 1}));
        assertTrue(e.getMessage().contains("Kraft"), e.getMessage());
        Huffman h = new Huffman(new int[] {1, 2});  // codes 0 and 10; 11 is no code
        var e2 = assertThrows(IllegalArgumentException.class, () -> h.decode(new byte[] {(byte) 0xC0}, 1));
        assertTrue(e2.getMessage().contains("no code"), e2.getMessage());
        assertThrows(IllegalArgumentException.class, () -> h.decode(new byte[] {0}, 9), "reading past the end fails");
    }

    @Test
    void extremeSkewIsCappedAtTheMaximumLength() {
        long[] counts = new long[40];
        for (int i = 0; i < counts.length; i++) counts[i] = 1L << Math.min(i, 40); // Fibonacci-like depth without a cap
        Huffman h = Huffman.fromCounts(counts);
        assertTrue(java.util.Arrays.stream(h.lengths()).max().getAsInt() <= Huffman.MAX_LENGTH);
        int[] symbols = new int[40];
        for (int i = 0; i < 40; i++) symbols[i] = i;
        assertArrayEquals(symbols, h.decode(h.encode(symbols), 40));
    }
}
