/*
 * BindGen: the project's own jextract-style generator of java.lang.foreign bindings for webgpu.h.
 *
 * jextract cannot be installed everywhere the project builds, and the WebGPU headers are regular enough that a small
 * purpose-built parser handles them exactly: they are machine-generated C with typedef'd enums, structs, opaque
 * handles, callback typedefs, 64-bit flag constants and plain prototypes. Anything outside that subset is a hard
 * error with file:line, never a silent guess, and the generated layouts are proven against the C compiler by each
 * backend's HeaderLayoutCheck test.
 *
 * Run (JDK 25, no dependencies):
 *   java tools/bindgen/BindGen.java --header H.h [--header H2.h ...] --functions LIST.txt
 *        [--extra-structs A,B] [--extra-enums E] --package P --class C --implementation NAME --out FILE.java
 *
 * Stages, each a small class below:
 *   Source   - strips comments and preprocessor lines (keeping line numbers for error messages);
 *   Lexer    - turns the rest into tokens, dropping the attribute macros (WGPU_EXPORT, WGPU_NULLABLE, ...);
 *   Parser   - reads the declarations into a Model (enums, constants, structs, aliases, callbacks, functions);
 *   Reach    - selects what the listed functions (plus the requested extras) can reach;
 *   Layouts  - computes x86-64 SysV layouts (natural alignment, explicit padding);
 *   Emitter  - writes one deterministic Java source implementing dev.rullama.api.webgpu.WebGpuHeader.
 */

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

public final class BindGen {

    public static void main(String[] args) {
        try {
            Options options = Options.parse(args);
            Model model = new Model();
            for (Path header : options.headers()) {
                String text = Files.readString(header, StandardCharsets.UTF_8);
                String file = Options.recordedPath(header);
                new Parser(Lexer.tokenize(Source.clean(text), file), model).parseTranslationUnit();
            }
            Reach reach = Reach.from(model, options);
            String java = new Emitter(model, reach, new Layouts(model), options).emit();
            Path out = options.out();
            if (out.getParent() != null) Files.createDirectories(out.getParent());
            Files.writeString(out, java, StandardCharsets.UTF_8);
            System.out.printf("bindgen: %s: %d structs, %d functions, %d callbacks, %d constants -> %s%n",
                    options.implementation(), reach.structs.size(), reach.functions.size(), reach.callbacks.size(),
                    reach.constants.size(), out);
        } catch (BindGenException e) {
            System.err.println("bindgen: error: " + e.getMessage());
            System.exit(1);
        } catch (IOException e) {
            System.err.println("bindgen: I/O error: " + e);
            System.exit(1);
        }
    }

    /** Any problem with the arguments or the headers: reported as one line, exit status 1. */
    static final class BindGenException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BindGenException(String message) {
            super(message);
        }
    }

    // ------------------------------------------------------------------------------------------------- options

    record Options(List<Path> headers, Path functionsFile, List<String> functions, List<String> extraStructs,
                   List<String> extraEnums, String packageName, String className, String implementation, Path out,
                   List<String> recordedArguments) {

        static final String USAGE = """
                usage: java tools/bindgen/BindGen.java --header FILE [--header FILE ...] --functions LISTFILE
                         [--extra-structs NAME,NAME] [--extra-enums NAME,NAME]
                         --package PACKAGE --class CLASS --implementation NAME --out FILE.java
                  --header          a C header, parsed in order (a later one may #include an earlier one; #include
                                    lines themselves are ignored). Paths are recorded in the output as given,
                                    relative to the working directory, so run from the repository root.
                  --functions       the C functions to bind, one per line, '#' starts a comment
                  --extra-structs   structs to emit although no function reaches them (e.g. chained structs,
                                    which are only reachable through an untyped nextInChain pointer)
                  --extra-enums     enum/flag types whose constants to emit although nothing reaches them
                  --package/--class the Java package and class of the generated WebGpuHeader implementation
                  --implementation  the value implementation() returns, e.g. dawn
                  --out             the Java file to write""";

        static Options parse(String[] args) throws IOException {
            List<Path> headers = new ArrayList<>();
            List<String> extraStructs = new ArrayList<>();
            List<String> extraEnums = new ArrayList<>();
            List<String> recorded = new ArrayList<>();
            Path functionsFile = null;
            Path out = null;
            String pkg = null;
            String cls = null;
            String impl = null;
            for (int i = 0; i < args.length; i++) {
                String option = args[i];
                if (option.equals("--help") || option.equals("-h")) {
                    System.out.println(USAGE);
                    System.exit(0);
                }
                if (i + 1 >= args.length) throw new BindGenException(option + " needs a value\n" + USAGE);
                String value = args[++i];
                switch (option) {
                    case "--header" -> headers.add(Path.of(value));
                    case "--functions" -> functionsFile = Path.of(value);
                    case "--extra-structs" -> extraStructs.addAll(commaList(value));
                    case "--extra-enums" -> extraEnums.addAll(commaList(value));
                    case "--package" -> pkg = value;
                    case "--class" -> cls = value;
                    case "--implementation" -> impl = value;
                    case "--out" -> out = Path.of(value);
                    default -> throw new BindGenException("unknown option " + option + "\n" + USAGE);
                }
                // The output path is the only argument that may differ between two runs producing the same file.
                if (!option.equals("--out")) {
                    recorded.add(option);
                    recorded.add(option.equals("--header") || option.equals("--functions")
                            ? recordedPath(Path.of(value)) : value);
                }
            }
            if (headers.isEmpty() || functionsFile == null || pkg == null || cls == null || impl == null || out == null) {
                throw new BindGenException("missing a required option\n" + USAGE);
            }
            return new Options(List.copyOf(headers), functionsFile, readFunctionList(functionsFile),
                    List.copyOf(extraStructs), List.copyOf(extraEnums), pkg, cls, impl, out, List.copyOf(recorded));
        }

        private static List<String> commaList(String value) {
            List<String> names = new ArrayList<>();
            for (String name : value.split(",")) {
                if (!name.isBlank()) names.add(name.strip());
            }
            return names;
        }

        private static List<String> readFunctionList(Path file) throws IOException {
            Set<String> names = new LinkedHashSet<>();
            int lineNumber = 0;
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                lineNumber++;
                int hash = line.indexOf('#');
                String name = (hash >= 0 ? line.substring(0, hash) : line).strip();
                if (name.isEmpty()) continue;
                if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    throw new BindGenException(file + ":" + lineNumber + ": not a C function name: " + name);
                }
                if (!names.add(name)) throw new BindGenException(file + ":" + lineNumber + ": listed twice: " + name);
            }
            if (names.isEmpty()) throw new BindGenException(file + ": no functions listed");
            return List.copyOf(names);
        }

        /** A path as recorded in the output: relative to the working directory, with '/' separators. */
        static String recordedPath(Path path) {
            Path p = path.isAbsolute() ? Path.of("").toAbsolutePath().relativize(path) : path;
            return p.normalize().toString().replace('\\', '/');
        }
    }

    // ------------------------------------------------------------------------------------------------- source

    /** Removes what the declaration parser must not see, replacing it by blanks so line numbers stay exact. */
    static final class Source {
        static String clean(String text) {
            return dropPreprocessorLines(dropComments(text.replace("\r\n", "\n")));
        }

        /** Block and line comments become spaces (newlines inside block comments are kept); strings are kept. */
        static String dropComments(String s) {
            StringBuilder out = new StringBuilder(s.length());
            int i = 0;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '"' || c == '\'') {
                    int j = i + 1;
                    while (j < s.length() && s.charAt(j) != c && s.charAt(j) != '\n') j += s.charAt(j) == '\\' ? 2 : 1;
                    j = Math.min(j + 1, s.length());
                    out.append(s, i, j);
                    i = j;
                } else if (s.startsWith("/*", i)) {
                    int end = s.indexOf("*/", i + 2);
                    if (end < 0) throw new BindGenException("unterminated block comment");
                    for (int k = i; k < end + 2; k++) out.append(s.charAt(k) == '\n' ? '\n' : ' ');
                    i = end + 2;
                } else if (s.startsWith("//", i)) {
                    while (i < s.length() && s.charAt(i) != '\n') i++;
                } else {
                    out.append(c);
                    i++;
                }
            }
            return out.toString();
        }

        /**
         * Blanks every preprocessor line, including the continuation lines of multi-line #defines. The headers'
         * conditionals only guard C++/Emscripten/DLL details and the optional proc tables, so reading every branch
         * is correct for them; #include is ignored because all headers are passed in order.
         */
        static String dropPreprocessorLines(String s) {
            String[] lines = s.split("\n", -1);
            StringBuilder out = new StringBuilder(s.length());
            boolean continued = false;
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i];
                boolean directive = continued || line.stripLeading().startsWith("#");
                continued = directive && line.stripTrailing().endsWith("\\");
                if (!directive) out.append(line);
                if (i + 1 < lines.length) out.append('\n');
            }
            return out.toString();
        }
    }

    // ------------------------------------------------------------------------------------------------- lexer

    enum Kind { IDENT, NUMBER, STRING, PUNCT, EOF }

    record Token(Kind kind, String text, String file, int line) {
        String where() {
            return file + ":" + line;
        }

        String describe() {
            return kind == Kind.EOF ? "end of file" : "'" + text + "'";
        }
    }

    static final class Lexer {
        /**
         * Annotation macros that expand to nothing (or to visibility attributes) in a C build. WGPU_NULLABLE also
         * expands to nothing but is kept as a token: the parser reads it like a qualifier and records it, so the
         * generated comments can say which pointers may be NULL.
         */
        static final Pattern ATTRIBUTE_MACRO = Pattern.compile("WGPU_EXPORT|WGPU_[A-Z]+_ATTRIBUTE");

        static List<Token> tokenize(String s, String file) {
            List<Token> tokens = new ArrayList<>();
            int line = 1;
            int i = 0;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '\n') {
                    line++;
                    i++;
                } else if (Character.isWhitespace(c)) {
                    i++;
                } else if (Character.isLetter(c) || c == '_') {
                    int j = i;
                    while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) j++;
                    String word = s.substring(i, j);
                    if (!ATTRIBUTE_MACRO.matcher(word).matches()) tokens.add(new Token(Kind.IDENT, word, file, line));
                    i = j;
                } else if (Character.isDigit(c)) {
                    int j = i;
                    while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '.')) j++;
                    tokens.add(new Token(Kind.NUMBER, s.substring(i, j), file, line));
                    i = j;
                } else if (c == '"') {
                    int j = i + 1;
                    while (j < s.length() && s.charAt(j) != '"') j += s.charAt(j) == '\\' ? 2 : 1;
                    tokens.add(new Token(Kind.STRING, s.substring(i, Math.min(j + 1, s.length())), file, line));
                    i = j + 1;
                } else if (s.startsWith("<<", i) || s.startsWith(">>", i) || s.startsWith("...", i)) {
                    int n = s.startsWith("...", i) ? 3 : 2;
                    tokens.add(new Token(Kind.PUNCT, s.substring(i, i + n), file, line));
                    i += n;
                } else {
                    tokens.add(new Token(Kind.PUNCT, String.valueOf(c), file, line));
                    i++;
                }
            }
            tokens.add(new Token(Kind.EOF, "", file, line));
            return tokens;
        }
    }

    // ------------------------------------------------------------------------------------------------- model

    /**
     * A C type as declared: a base name (a builtin such as "unsigned int", a typedef name, or a struct/enum tag),
     * or an aggregate defined in place (an anonymous union member); then pointer levels and array dimensions.
     * {@code constBase} and {@code nullable} (WGPU_NULLABLE) do not change the layout; they are kept for comments.
     */
    record CType(String base, Aggregate inline, int pointers, List<Long> dims, boolean constBase, boolean nullable) {
        static CType named(String base, int pointers) {
            return new CType(base, null, pointers, List.of(), false, false);
        }

        CType withoutFirstDim() {
            return new CType(base, inline, pointers, dims.subList(1, dims.size()), constBase, nullable);
        }

        boolean isVoid() {
            return "void".equals(base) && inline == null && pointers == 0 && dims.isEmpty();
        }

        /** The declaration as C text, for comments in the generated code. */
        String c(String name) {
            StringBuilder sb = new StringBuilder(nullable ? "WGPU_NULLABLE " : "");
            sb.append(inline != null ? (inline.union() ? "union {...}" : "struct {...}") : base);
            if (constBase) sb.append(" const");
            if (pointers > 0) sb.append(" ").append("*".repeat(pointers));
            if (name != null) sb.append(pointers > 0 ? "" : " ").append(name);
            for (long d : dims) sb.append('[').append(d).append(']');
            return sb.toString();
        }
    }

    record Member(String name, CType type) {}

    /** A struct or union body; {@code name} is its typedef name (or tag), null for an anonymous member type. */
    record Aggregate(String name, boolean union, List<Member> members) {}

    /** typedef T NAME; (scalar aliases, flag types, opaque handles "typedef struct XImpl* X"). */
    record Alias(String name, CType target) {}

    /** A function prototype or a function-pointer typedef. */
    record Signature(String name, CType result, List<Member> params) {
        String c(boolean pointerTypedef) {
            StringBuilder sb = new StringBuilder();
            if (pointerTypedef) sb.append("typedef ");
            sb.append(result.c(null)).append(pointerTypedef ? " (*" + name + ")(" : " " + name + "(");
            if (params.isEmpty()) sb.append("void");
            for (int i = 0; i < params.size(); i++) {
                if (i > 0) sb.append(", ");
                sb.append(params.get(i).type().c(params.get(i).name()));
            }
            return sb.append(")").toString();
        }
    }

    /** An enumerator or a "static const" flag constant; {@code owner} is the enum or flag type it belongs to. */
    record Constant(String name, String owner, long value) {}

    /** Everything the headers declare, in declaration order (LinkedHashMaps keep the output deterministic). */
    static final class Model {
        final Map<String, Aggregate> structs = new LinkedHashMap<>();
        final Set<String> enums = new LinkedHashSet<>();
        final Map<String, Alias> aliases = new LinkedHashMap<>();
        final Map<String, Signature> callbacks = new LinkedHashMap<>();
        final Map<String, Signature> functions = new LinkedHashMap<>();
        final Map<String, Constant> constants = new LinkedHashMap<>();
        private final Map<String, String> definedAt = new LinkedHashMap<>();

        void define(String name, Token at) {
            String previous = definedAt.putIfAbsent(name, at.where());
            if (previous != null) throw new BindGenException(at.where() + ": " + name + " already declared at " + previous);
        }
    }

    // ------------------------------------------------------------------------------------------------- parser

    /**
     * A recursive-descent reader for the declaration forms the WebGPU headers use, at file scope:
     * typedef enum/struct/union bodies, typedef aliases and function-pointer typedefs, static const constants,
     * struct forward declarations, extern "C" blocks, and prototypes.
     */
    static final class Parser {
        static final Set<String> BUILTIN_WORDS = Set.of(
                "void", "char", "short", "int", "long", "float", "double", "signed", "unsigned", "_Bool", "bool");
        static final Set<String> QUALIFIERS = Set.of("const", "volatile", "restrict", "WGPU_NULLABLE");

        private final List<Token> tokens;
        private final Model model;
        private int pos;
        private int externBlocks;

        Parser(List<Token> tokens, Model model) {
            this.tokens = tokens;
            this.model = model;
        }

        void parseTranslationUnit() {
            while (peek().kind() != Kind.EOF) {
                if (acceptWord("extern")) { // extern "C" {  ...  }  (only the braces survive preprocessing)
                    expectKind(Kind.STRING);
                    if (accept("{")) externBlocks++;
                } else if (externBlocks > 0 && accept("}")) {
                    externBlocks--;
                } else if (accept(";")) {
                    // stray semicolon
                } else if (acceptWord("typedef")) {
                    parseTypedef();
                } else if (acceptWord("static")) {
                    parseStaticConst();
                } else if (peekIs(0, "struct") && peekIs(2, ";")) {
                    pos += 3; // forward declaration: struct WGPUFoo;
                } else {
                    parsePrototype();
                }
            }
            if (externBlocks != 0) throw new BindGenException(peek().where() + ": unbalanced extern \"C\" block");
        }

        /** typedef enum {...} X; | typedef struct {...} X; | typedef R (*X)(params); | typedef T X; */
        private void parseTypedef() {
            Token start = peek();
            if (acceptWord("enum")) {
                if (peek().kind() == Kind.IDENT) next(); // tag; the typedef name is what the headers use
                List<Token> names = new ArrayList<>();
                List<Long> values = new ArrayList<>();
                parseEnumerators(names, values);
                Token name = expectKind(Kind.IDENT);
                expect(";");
                model.define(name.text(), name);
                model.enums.add(name.text());
                for (int i = 0; i < names.size(); i++) {
                    Token n = names.get(i);
                    model.define(n.text(), n);
                    model.constants.put(n.text(), new Constant(n.text(), name.text(), values.get(i)));
                }
                return;
            }
            Spec spec = parseSpecifiers();
            int pointers = parsePointers();
            if (accept("(")) { // function-pointer typedef: R (*NAME)(params), R possibly a pointer
                expect("*");
                Token name = expectKind(Kind.IDENT);
                expect(")");
                List<Member> params = parseParams();
                expect(";");
                model.define(name.text(), name);
                model.callbacks.put(name.text(), new Signature(name.text(), spec.type(pointers), params));
                return;
            }
            Token name = expectKind(Kind.IDENT);
            expect(";");
            model.define(name.text(), name);
            if (spec.inline() != null && pointers == 0) {
                Aggregate body = spec.inline();
                model.structs.put(name.text(), new Aggregate(name.text(), body.union(), body.members()));
            } else if (spec.inline() != null) {
                throw new BindGenException(start.where() + ": typedef of a pointer to a struct body is not supported");
            } else {
                model.aliases.put(name.text(), new Alias(name.text(), spec.type(pointers)));
            }
        }

        /** { A = expr, B, C = A | B } ; a missing value is the previous one plus one, as in C. */
        private void parseEnumerators(List<Token> names, List<Long> values) {
            expect("{");
            long next = 0;
            Map<String, Long> local = new LinkedHashMap<>();
            while (!accept("}")) {
                Token name = expectKind(Kind.IDENT);
                long value = accept("=") ? new ConstExpr(this, local).parse() : next;
                names.add(name);
                values.add(value);
                local.put(name.text(), value);
                next = value + 1;
                if (!accept(",")) {
                    expect("}");
                    break;
                }
            }
        }

        /** static const WGPUBufferUsage WGPUBufferUsage_Storage = 0x0000000000000080; */
        private void parseStaticConst() {
            Token start = peek();
            Spec spec = parseSpecifiers();
            if (parsePointers() != 0 || spec.inline() != null || spec.base() == null) {
                throw new BindGenException(start.where() + ": only scalar static const constants are supported");
            }
            Token name = expectKind(Kind.IDENT);
            expect("=");
            long value = new ConstExpr(this, Map.of()).parse();
            expect(";");
            model.define(name.text(), name);
            model.constants.put(name.text(), new Constant(name.text(), spec.base(), value));
        }

        /** R name(params); */
        private void parsePrototype() {
            Token start = peek();
            Spec spec = parseSpecifiers();
            int pointers = parsePointers();
            Token name = expectKind(Kind.IDENT);
            if (!peekIs(0, "(")) {
                throw new BindGenException(name.where() + ": expected a function prototype, found " + peek().describe()
                        + " after " + name.text() + " (declaration started with " + start.describe() + ")");
            }
            List<Member> params = parseParams();
            if (peekIs(0, "{")) throw new BindGenException(name.where() + ": function bodies are not supported");
            expect(";");
            model.define(name.text(), name);
            model.functions.put(name.text(), new Signature(name.text(), spec.type(pointers), params));
        }

        /** The type part before a declarator: a base type (builtin words, typedef name, tag, or body). */
        record Spec(String base, Aggregate inline, boolean constBase, boolean nullable) {
            CType type(int pointers) {
                return type(pointers, List.of());
            }

            CType type(int pointers, List<Long> dims) {
                return new CType(base, inline, pointers, dims, constBase, nullable);
            }
        }

        private Spec parseSpecifiers() {
            Token start = peek();
            String base = null;
            Aggregate inline = null;
            List<String> builtin = new ArrayList<>();
            boolean constBase = false;
            boolean nullable = false;
            while (peek().kind() == Kind.IDENT) {
                String word = peek().text();
                if (QUALIFIERS.contains(word)) { // "const T" and "T const" both qualify the base type
                    constBase |= word.equals("const");
                    nullable |= word.equals("WGPU_NULLABLE");
                    next();
                } else if (word.equals("struct") || word.equals("union") || word.equals("enum")) {
                    if (base != null || !builtin.isEmpty()) break;
                    next();
                    String tag = peek().kind() == Kind.IDENT ? next().text() : null;
                    if (peekIs(0, "{")) {
                        if (word.equals("enum")) throw new BindGenException(start.where() + ": inline enum bodies are not supported");
                        inline = parseAggregateBody(tag, word.equals("union"));
                    } else if (tag == null) {
                        throw new BindGenException(start.where() + ": " + word + " without a tag or body");
                    }
                    base = tag;
                    if (base == null) break;
                } else if (BUILTIN_WORDS.contains(word) && base == null) {
                    builtin.add(next().text());
                } else if (base == null && builtin.isEmpty()) {
                    base = next().text(); // a typedef name such as uint32_t or WGPUBufferUsage
                } else {
                    break; // the declarator's name
                }
            }
            if (!builtin.isEmpty()) base = String.join(" ", builtin);
            if (base == null && inline == null) throw new BindGenException(start.where() + ": expected a type, found " + start.describe());
            return new Spec(base, inline, constBase, nullable);
        }

        /** '*' and qualifiers after the base type: "T const * const" has one pointer level. */
        private int parsePointers() {
            int pointers = 0;
            while (true) {
                if (accept("*")) pointers++;
                else if (peek().kind() == Kind.IDENT && QUALIFIERS.contains(peek().text())) next();
                else return pointers;
            }
        }

        private List<Long> parseDims() {
            List<Long> dims = new ArrayList<>();
            while (accept("[")) {
                dims.add(new ConstExpr(this, Map.of()).parse());
                expect("]");
            }
            return List.copyOf(dims);
        }

        /** { members } of a struct or union; a function-pointer member is recorded as a void* (an address). */
        private Aggregate parseAggregateBody(String name, boolean union) {
            expect("{");
            List<Member> members = new ArrayList<>();
            while (!accept("}")) {
                Spec spec = parseSpecifiers();
                do {
                    int pointers = parsePointers();
                    if (accept("(")) {
                        expect("*");
                        Token member = expectKind(Kind.IDENT);
                        expect(")");
                        parseParams();
                        members.add(new Member(member.text(), CType.named("void", 1)));
                    } else {
                        Token member = expectKind(Kind.IDENT);
                        members.add(new Member(member.text(), spec.type(pointers, parseDims())));
                    }
                } while (accept(","));
                expect(";");
            }
            return new Aggregate(name, union, List.copyOf(members));
        }

        /** ( void ) | ( T name, T const * name, ... ); names are optional, array parameters decay to pointers. */
        private List<Member> parseParams() {
            expect("(");
            if (peekIs(0, "void") && peekIs(1, ")")) {
                pos += 2;
                return List.of();
            }
            List<Member> params = new ArrayList<>();
            if (accept(")")) return params;
            do {
                Token start = peek();
                if (peekIs(0, "...")) throw new BindGenException(start.where() + ": variadic functions are not supported");
                Spec spec = parseSpecifiers();
                int pointers = parsePointers();
                String name = peek().kind() == Kind.IDENT ? next().text() : null;
                while (accept("[")) {
                    while (!accept("]")) next();
                    pointers++;
                }
                params.add(new Member(name, spec.type(pointers)));
            } while (accept(","));
            expect(")");
            return List.copyOf(params);
        }

        Constant modelConstant(String name) {
            return model.constants.get(name);
        }

        // token helpers

        Token peek() {
            return tokens.get(pos);
        }

        boolean peekIs(int ahead, String text) {
            int i = pos + ahead;
            return i < tokens.size() && tokens.get(i).kind() != Kind.EOF && tokens.get(i).text().equals(text);
        }

        Token next() {
            Token t = tokens.get(pos);
            if (t.kind() == Kind.EOF) throw new BindGenException(t.where() + ": unexpected end of file");
            pos++;
            return t;
        }

        boolean accept(String punct) {
            if (peek().kind() == Kind.PUNCT && peek().text().equals(punct)) {
                pos++;
                return true;
            }
            return false;
        }

        boolean acceptWord(String word) {
            if (peek().kind() == Kind.IDENT && peek().text().equals(word)) {
                pos++;
                return true;
            }
            return false;
        }

        void expect(String punct) {
            if (!accept(punct)) throw new BindGenException(peek().where() + ": expected '" + punct + "', found " + peek().describe());
        }

        Token expectKind(Kind kind) {
            if (peek().kind() != kind) {
                throw new BindGenException(peek().where() + ": expected " + kind.name().toLowerCase() + ", found " + peek().describe());
            }
            return next();
        }
    }

    /**
     * Integer constant expressions as the headers write them: literals (decimal, hex, octal, with U/L suffixes),
     * names of earlier constants, parentheses, unary - ~ +, and the binary operators * / % + - << >> & ^ |.
     */
    static final class ConstExpr {
        private final Parser p;
        private final Map<String, Long> local;

        ConstExpr(Parser p, Map<String, Long> local) {
            this.p = p;
            this.local = local;
        }

        long parse() {
            return or();
        }

        private long or() {
            long v = xor();
            while (p.accept("|")) v |= xor();
            return v;
        }

        private long xor() {
            long v = and();
            while (p.accept("^")) v ^= and();
            return v;
        }

        private long and() {
            long v = shift();
            while (p.accept("&")) v &= shift();
            return v;
        }

        private long shift() {
            long v = additive();
            while (true) {
                if (p.accept("<<")) v <<= additive();
                else if (p.accept(">>")) v >>= additive();
                else return v;
            }
        }

        private long additive() {
            long v = multiplicative();
            while (true) {
                if (p.accept("+")) v += multiplicative();
                else if (p.accept("-")) v -= multiplicative();
                else return v;
            }
        }

        private long multiplicative() {
            long v = unary();
            while (true) {
                if (p.accept("*")) v *= unary();
                else if (p.accept("/")) v /= unary();
                else if (p.accept("%")) v %= unary();
                else return v;
            }
        }

        private long unary() {
            if (p.accept("-")) return -unary();
            if (p.accept("~")) return ~unary();
            if (p.accept("+")) return unary();
            if (p.accept("(")) {
                long v = or();
                p.expect(")");
                return v;
            }
            Token t = p.peek();
            if (t.kind() == Kind.NUMBER) {
                p.next();
                return literal(t);
            }
            if (t.kind() == Kind.IDENT) {
                p.next();
                Long v = local.get(t.text());
                if (v == null && p.modelConstant(t.text()) != null) v = p.modelConstant(t.text()).value();
                if (v == null) throw new BindGenException(t.where() + ": unknown constant " + t.text());
                return v;
            }
            throw new BindGenException(t.where() + ": expected a constant expression, found " + t.describe());
        }

        private static long literal(Token t) {
            String s = t.text().replaceAll("[uUlL]+$", "");
            try {
                if (s.startsWith("0x") || s.startsWith("0X")) return Long.parseUnsignedLong(s.substring(2), 16);
                if (s.length() > 1 && s.startsWith("0")) return Long.parseUnsignedLong(s.substring(1), 8);
                return Long.parseUnsignedLong(s);
            } catch (NumberFormatException e) {
                throw new BindGenException(t.where() + ": not an integer literal: " + t.text());
            }
        }
    }

    // ------------------------------------------------------------------------------------------------- reach

    /**
     * What the output contains: the listed functions, every struct reachable from their parameters and results
     * and from struct members (by value and through pointers, transitively), the callback typedefs used on the way,
     * the constants of every enum/flag type met, and the requested extras.
     */
    static final class Reach {
        final Map<String, Signature> functions = new LinkedHashMap<>();
        final Set<String> structs = new LinkedHashSet<>();
        final Set<String> callbacks = new LinkedHashSet<>();
        final List<Constant> constants = new ArrayList<>();
        private final Model model;
        private final Set<String> visited = new LinkedHashSet<>();

        private Reach(Model model) {
            this.model = model;
        }

        static Reach from(Model model, Options options) {
            Reach reach = new Reach(model);
            List<String> missing = new ArrayList<>();
            for (String name : options.functions()) {
                if (!model.functions.containsKey(name)) missing.add(name);
            }
            if (!missing.isEmpty()) {
                throw new BindGenException("listed in " + options.functionsFile() + " but not declared in "
                        + options.headers() + ": " + String.join(", ", missing));
            }
            for (String name : options.extraStructs()) {
                if (!model.structs.containsKey(name)) throw new BindGenException("--extra-structs: no struct " + name);
                reach.type(name);
            }
            for (String name : options.extraEnums()) {
                boolean ownsConstants = model.constants.values().stream().anyMatch(c -> c.owner().equals(name));
                if (!model.enums.contains(name) && !ownsConstants) {
                    throw new BindGenException("--extra-enums: no enum or flag type " + name);
                }
                reach.type(name);
            }
            Set<String> listed = Set.copyOf(options.functions());
            for (Signature f : model.functions.values()) { // header order
                if (!listed.contains(f.name())) continue;
                reach.functions.put(f.name(), f);
                reach.signature(f);
            }
            // Output order is header order, whatever order things were reached in.
            for (String s : model.structs.keySet()) if (reach.visited.contains(s)) reach.structs.add(s);
            for (String c : model.callbacks.keySet()) if (reach.visited.contains(c)) reach.callbacks.add(c);
            for (Constant c : model.constants.values()) if (reach.visited.contains(c.owner())) reach.constants.add(c);
            return reach;
        }

        private void signature(Signature s) {
            type(s.result());
            for (Member m : s.params()) type(m.type());
        }

        private void type(CType t) {
            if (t.inline() != null) {
                for (Member m : t.inline().members()) type(m.type());
            } else {
                type(t.base());
            }
        }

        private void type(String name) {
            if (name == null || !visited.add(name)) return;
            if (model.structs.containsKey(name)) {
                for (Member m : model.structs.get(name).members()) type(m.type());
            } else if (model.aliases.containsKey(name)) {
                type(model.aliases.get(name).target());
            } else if (model.callbacks.containsKey(name)) {
                signature(model.callbacks.get(name));
            }
            // Otherwise a builtin, an enum (its constants are selected by owner), or an opaque handle's Impl tag.
        }
    }

    // ------------------------------------------------------------------------------------------------- layouts

    /**
     * x86-64 System V layouts: scalars and pointers are naturally aligned, a struct is aligned to its most aligned
     * member, members are placed at the next multiple of their alignment and the size is rounded up to the
     * alignment. Each layout carries the Java expression that builds it.
     */
    static final class Layouts {
        record Layout(long size, long align, String java) {}

        /** A struct member with its offset and layout; padding before it is {@code padBefore} bytes. */
        record Placed(Member member, long offset, long padBefore, Layout layout) {}

        record StructInfo(Aggregate aggregate, List<Placed> members, long size, long align, long padAfter) {}

        static final Layout ADDRESS = new Layout(8, 8, "ValueLayout.ADDRESS");
        static final Map<String, Layout> SCALARS = scalars();

        private final Model model;
        private final Map<String, StructInfo> structs = new LinkedHashMap<>();
        private final Map<Aggregate, StructInfo> inline = new IdentityHashMap<>();

        Layouts(Model model) {
            this.model = model;
        }

        private static Map<String, Layout> scalars() {
            Map<String, Layout> m = new LinkedHashMap<>();
            Layout b = new Layout(1, 1, "ValueLayout.JAVA_BYTE");
            Layout s = new Layout(2, 2, "ValueLayout.JAVA_SHORT");
            Layout i = new Layout(4, 4, "ValueLayout.JAVA_INT");
            Layout l = new Layout(8, 8, "ValueLayout.JAVA_LONG");
            for (String n : List.of("char", "signed char", "unsigned char", "int8_t", "uint8_t")) m.put(n, b);
            for (String n : List.of("_Bool", "bool")) m.put(n, new Layout(1, 1, "ValueLayout.JAVA_BOOLEAN"));
            for (String n : List.of("short", "short int", "signed short", "unsigned short", "unsigned short int",
                    "int16_t", "uint16_t")) m.put(n, s);
            for (String n : List.of("int", "signed", "signed int", "unsigned", "unsigned int", "int32_t", "uint32_t")) m.put(n, i);
            for (String n : List.of("long", "long int", "unsigned long", "unsigned long int", "long long",
                    "long long int", "unsigned long long", "unsigned long long int", "int64_t", "uint64_t", "size_t",
                    "ssize_t", "ptrdiff_t", "intptr_t", "uintptr_t")) m.put(n, l);
            m.put("float", new Layout(4, 4, "ValueLayout.JAVA_FLOAT"));
            m.put("double", new Layout(8, 8, "ValueLayout.JAVA_DOUBLE"));
            return m;
        }

        Layout of(CType t, String where) {
            if (!t.dims().isEmpty()) {
                long n = t.dims().getFirst();
                Layout element = of(t.withoutFirstDim(), where);
                return new Layout(n * element.size(), element.align(),
                        "MemoryLayout.sequenceLayout(" + n + ", " + element.java() + ")");
            }
            if (t.pointers() > 0) return ADDRESS;
            if (t.inline() != null) {
                StructInfo info = inline.computeIfAbsent(t.inline(), a -> compute(a, where));
                return new Layout(info.size(), info.align(), groupExpression(info, "", false));
            }
            return named(t.base(), where);
        }

        private Layout named(String name, String where) {
            Layout scalar = SCALARS.get(name);
            if (scalar != null) return scalar;
            if (model.enums.contains(name)) return new Layout(4, 4, "ValueLayout.JAVA_INT"); // C enums here are int
            if (model.callbacks.containsKey(name)) return ADDRESS;
            if (model.aliases.containsKey(name)) return of(model.aliases.get(name).target(), where);
            if (model.structs.containsKey(name)) {
                StructInfo info = struct(name);
                return new Layout(info.size(), info.align(), name + ".LAYOUT");
            }
            if (name.equals("void")) throw new BindGenException(where + ": void used as a value type");
            throw new BindGenException(where + ": unknown type " + name + " (an opaque struct used by value?)");
        }

        StructInfo struct(String name) {
            StructInfo info = structs.get(name);
            if (info == null) {
                info = compute(model.structs.get(name), name);
                structs.put(name, info);
            }
            return info;
        }

        private StructInfo compute(Aggregate a, String where) {
            List<Placed> placed = new ArrayList<>();
            long offset = 0;
            long size = 0;
            long align = 1;
            for (Member m : a.members()) {
                Layout layout = of(m.type(), where + "." + m.name());
                align = Math.max(align, layout.align());
                if (a.union()) {
                    placed.add(new Placed(m, 0, 0, layout));
                    size = Math.max(size, layout.size());
                } else {
                    long at = alignUp(offset, layout.align());
                    placed.add(new Placed(m, at, at - offset, layout));
                    offset = at + layout.size();
                    size = offset;
                }
            }
            long total = alignUp(size, align);
            return new StructInfo(a, List.copyOf(placed), total, align, total - size);
        }

        static long alignUp(long value, long align) {
            return (value + align - 1) / align * align;
        }

        /** MemoryLayout.structLayout(...) / unionLayout(...) with padding, members on separate lines if indented. */
        static String groupExpression(StructInfo info, String indent, boolean multiline) {
            List<String> elements = new ArrayList<>();
            for (Placed p : info.members()) {
                if (p.padBefore() > 0) elements.add("MemoryLayout.paddingLayout(" + p.padBefore() + ")");
                elements.add(p.layout().java() + ".withName(\"" + p.member().name() + "\")");
            }
            if (info.padAfter() > 0) {
                // A union grows to its rounded size through a padding alternative spanning all of it.
                elements.add("MemoryLayout.paddingLayout(" + (info.aggregate().union() ? info.size() : info.padAfter()) + ")");
            }
            String open = info.aggregate().union() ? "MemoryLayout.unionLayout(" : "MemoryLayout.structLayout(";
            if (!multiline) return open + String.join(", ", elements) + ")";
            return open + "\n" + indent + "    " + String.join(",\n" + indent + "    ", elements) + "\n" + indent + ")";
        }
    }

    // ------------------------------------------------------------------------------------------------- emitter

    static final class Emitter {
        /** Entries per generated map-filling method, far below the JVM's 64 KiB method size limit. */
        static final int ENTRIES_PER_METHOD = 200;

        private final Model model;
        private final Reach reach;
        private final Layouts layouts;
        private final Options options;
        private final StringBuilder out = new StringBuilder();

        Emitter(Model model, Reach reach, Layouts layouts, Options options) {
            this.model = model;
            this.reach = reach;
            this.layouts = layouts;
            this.options = options;
        }

        String emit() throws IOException {
            List<String> paths = new ArrayList<>();
            List<String> hashes = new ArrayList<>();
            for (Path h : options.headers()) {
                paths.add(Options.recordedPath(h));
                hashes.add(sha256(Files.readAllBytes(h)));
            }
            String cls = options.className();
            line("// GENERATED by tools/bindgen/BindGen.java from " + String.join(", ", paths)
                    + " — do not edit; regenerate with scripts/bindgen.sh");
            line("// Generator arguments: " + String.join(" ", options.recordedArguments()));
            line("package " + options.packageName() + ";");
            line("");
            line("import dev.rullama.api.webgpu.WebGpuHeader;");
            line("import java.lang.foreign.FunctionDescriptor;");
            line("import java.lang.foreign.MemoryLayout;");
            line("import java.lang.foreign.StructLayout;");
            line("import java.lang.foreign.ValueLayout;");
            line("import java.util.Collections;");
            line("import java.util.LinkedHashMap;");
            line("import java.util.List;");
            line("import java.util.Map;");
            line("");
            line("/**");
            line(" * The " + options.implementation() + " WebGPU header as FFM layouts and descriptors (x86-64 SysV): "
                    + reach.structs.size() + " structs, " + reach.functions.size() + " functions, "
                    + reach.callbacks.size() + " callbacks, " + reach.constants.size() + " constants.");
            line(" * Per struct, jextract-style: {@code LAYOUT}, {@code <member>$OFFSET} and {@code sizeof()}; per function");
            line(" * and callback typedef a {@code $DESC}; every enum and flag value as a {@code long}.");
            line(" */");
            line("@SuppressWarnings(\"unused\")");
            line("public final class " + cls + " implements WebGpuHeader {");
            line("    private " + cls + "() {}");
            emitConstants();
            emitStructs();
            emitDescriptors("Callback typedefs", reach.callbacks.stream().map(model.callbacks::get).toList(), true);
            emitDescriptors("Functions", List.copyOf(reach.functions.values()), false);
            emitMaps(paths, hashes);
            line("");
            line("    /** The single instance; all state is static. */");
            line("    public static final " + cls + " INSTANCE = new " + cls + "();");
            line("}");
            return out.toString();
        }

        private void emitConstants() {
            String owner = null;
            for (Constant c : reach.constants) {
                if (!c.owner().equals(owner)) {
                    owner = c.owner();
                    line("");
                    boolean isEnum = model.enums.contains(owner);
                    String alias = isEnum || !model.aliases.containsKey(owner) ? "" : " (" + model.aliases.get(owner).target().c(null) + ")";
                    line("    // " + (isEnum ? "enum " : "flags ") + owner + alias);
                }
                line("    public static final long " + c.name() + " = " + javaLong(c.value()) + ";");
            }
        }

        private void emitStructs() {
            for (String name : reach.structs) {
                Layouts.StructInfo info = layouts.struct(name);
                line("");
                line("    /** {@code " + (info.aggregate().union() ? "union " : "struct ") + name + "}: " + info.size()
                        + " bytes, aligned to " + info.align() + ". */");
                line("    public static final class " + name + " {");
                line("        private " + name + "() {}");
                line("");
                line("        public static final StructLayout LAYOUT = " + Layouts.groupExpression(info, "        ", true)
                        + ".withName(\"" + name + "\");");
                line("");
                for (Layouts.Placed p : info.members()) {
                    line("        /** {@code " + p.member().type().c(p.member().name()) + "} */");
                    line("        public static final long " + p.member().name() + "$OFFSET = " + p.offset() + "L;");
                }
                line("");
                line("        public static long sizeof() {");
                line("            return " + info.size() + "L;");
                line("        }");
                line("    }");
            }
        }

        private void emitDescriptors(String title, List<Signature> signatures, boolean pointerTypedef) {
            line("");
            line("    // " + title);
            for (Signature s : signatures) {
                List<String> args = new ArrayList<>();
                for (Member p : s.params()) args.add(layouts.of(p.type(), s.name() + "(" + p.name() + ")").java());
                String desc = s.result().isVoid()
                        ? "FunctionDescriptor.ofVoid(" + String.join(", ", args) + ")"
                        : "FunctionDescriptor.of(" + String.join(", ", prepend(layouts.of(s.result(), s.name()).java(), args)) + ")";
                line("");
                line("    /** {@code " + s.c(pointerTypedef) + "} */");
                line("    public static final FunctionDescriptor " + s.name() + "$DESC = " + desc + ";");
            }
        }

        private void emitMaps(List<String> paths, List<String> hashes) {
            line("");
            line("    // WebGpuHeader");
            line("");
            line("    private static final List<String> HEADER_FILES = List.of(" + quoted(paths) + ");");
            line("    private static final List<String> HEADER_SHA256 = List.of(" + quoted(hashes) + ");");
            line("    private static final Map<String, StructLayout> STRUCTS = structMap();");
            line("    private static final Map<String, FunctionDescriptor> FUNCTIONS = functionMap();");
            line("    private static final Map<String, FunctionDescriptor> CALLBACKS = callbackMap();");
            line("    private static final Map<String, Long> CONSTANTS = constantMap();");
            getter("String", "implementation", "\"" + options.implementation() + "\"");
            getter("List<String>", "headerFiles", "HEADER_FILES");
            getter("List<String>", "headerSha256", "HEADER_SHA256");
            getter("Map<String, StructLayout>", "structs", "STRUCTS");
            getter("Map<String, FunctionDescriptor>", "functions", "FUNCTIONS");
            getter("Map<String, FunctionDescriptor>", "callbacks", "CALLBACKS");
            getter("Map<String, Long>", "constants", "CONSTANTS");
            mapBuilder("StructLayout", "structMap", reach.structs.stream().map(s -> entry(s, s + ".LAYOUT")).toList());
            mapBuilder("FunctionDescriptor", "functionMap", reach.functions.keySet().stream().map(f -> entry(f, f + "$DESC")).toList());
            mapBuilder("FunctionDescriptor", "callbackMap", reach.callbacks.stream().map(c -> entry(c, c + "$DESC")).toList());
            mapBuilder("Long", "constantMap", reach.constants.stream().map(c -> entry(c.name(), c.name())).toList());
        }

        private void getter(String type, String name, String value) {
            line("");
            line("    @Override");
            line("    public " + type + " " + name + "() {");
            line("        return " + value + ";");
            line("    }");
        }

        private static String[] entry(String key, String value) {
            return new String[] {key, value};
        }

        /** An unmodifiable LinkedHashMap in output order, filled by helper methods of bounded size. */
        private void mapBuilder(String valueType, String method, List<String[]> entries) {
            int parts = Math.max(1, (entries.size() + ENTRIES_PER_METHOD - 1) / ENTRIES_PER_METHOD);
            String mapType = "Map<String, " + valueType + ">";
            line("");
            line("    private static " + mapType + " " + method + "() {");
            line("        var m = new LinkedHashMap<String, " + valueType + ">(" + (entries.size() * 4 / 3 + 1) + ");");
            for (int part = 0; part < parts; part++) line("        " + method + part + "(m);");
            line("        return Collections.unmodifiableMap(m);");
            line("    }");
            for (int part = 0; part < parts; part++) {
                line("");
                line("    private static void " + method + part + "(" + mapType + " m) {");
                int end = Math.min(entries.size(), (part + 1) * ENTRIES_PER_METHOD);
                for (int i = part * ENTRIES_PER_METHOD; i < end; i++) {
                    line("        m.put(\"" + entries.get(i)[0] + "\", " + entries.get(i)[1] + ");");
                }
                line("    }");
            }
        }

        private static List<String> prepend(String first, List<String> rest) {
            List<String> all = new ArrayList<>(rest.size() + 1);
            all.add(first);
            all.addAll(rest);
            return all;
        }

        private static String quoted(List<String> values) {
            return String.join(", ", values.stream().map(v -> "\"" + v + "\"").toList());
        }

        /** Small values in decimal, others in hex as in the headers (two's complement for negatives). */
        static String javaLong(long v) {
            return v >= 0 && v < 10 ? v + "L" : "0x" + Long.toHexString(v).toUpperCase() + "L";
        }

        static String sha256(byte[] bytes) {
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        private void line(String s) {
            out.append(s).append('\n');
        }
    }
}
