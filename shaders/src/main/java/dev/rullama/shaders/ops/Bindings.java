package dev.rullama.shaders.ops;

import dev.rullama.api.Access;
import dev.rullama.api.KernelSpec;

import java.util.ArrayList;
import java.util.List;

/** Builds a kernel's binding list from "name:access" strings in binding order (U uniform, R read, W read_write). */
final class Bindings {
    private Bindings() {}

    static List<KernelSpec.Binding> of(String... decl) {
        List<KernelSpec.Binding> out = new ArrayList<>();
        for (String d : decl) {
            int c = d.lastIndexOf(':');
            Access a = switch (d.substring(c + 1)) {
                case "U" -> Access.UNIFORM;
                case "R" -> Access.READ;
                case "W" -> Access.READ_WRITE;
                default -> throw new IllegalArgumentException(d);
            };
            out.add(new KernelSpec.Binding(out.size(), d.substring(0, c), a));
        }
        return out;
    }

    static int f(float v) {
        return Float.floatToRawIntBits(v);
    }

    static void require(boolean ok, String what) {
        if (!ok) throw new IllegalArgumentException(what);
    }

    static boolean powerOfTwo(int v) {
        return v > 0 && (v & (v - 1)) == 0;
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
