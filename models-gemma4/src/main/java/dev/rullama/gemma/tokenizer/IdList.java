package dev.rullama.gemma.tokenizer;

import java.util.Arrays;

/** A growable int array for token ids, so encoding boxes nothing. */
final class IdList {
    private int[] a;
    private int n;

    IdList(int capacity) { a = new int[Math.max(capacity, 8)]; }

    void add(int id) {
        if (n == a.length) a = Arrays.copyOf(a, n * 2);
        a[n++] = id;
    }

    int size() { return n; }

    int get(int i) { return a[i]; }

    int[] toArray() { return Arrays.copyOf(a, n); }
}
