package dev.fleetledger.connect;

/**
 * The little JSON the transform writes, without a JSON library: string literals, and JSON
 * documents checked against RFC 8259 and copied without the whitespace between their tokens.
 *
 * <p>A compacted document keeps every string and number exactly as it was written (no value
 * is parsed into a Java type and printed again), so JSON that was already in RFC 8785
 * canonical form comes out byte for byte as it went in. Strings are escaped as RFC 8785 asks:
 * only the quote, the backslash and control characters, the short escapes where there is one.
 */
final class JsonText {
    /** How deep arrays and objects may nest before a document is treated as no JSON. */
    static final int MAX_DEPTH = 500;

    private JsonText() {}

    /** {@code text} as a JSON string literal. */
    static String quote(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2);
        quote(text, out);
        return out.toString();
    }

    static void quote(String text, StringBuilder out) {
        out.append('"');
        for (int at = 0; at < text.length(); at++) {
            char c = text.charAt(at);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || lone(text, at)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** Whether the char at {@code at} is half of no surrogate pair (UTF-8 cannot write it). */
    private static boolean lone(String text, int at) {
        char c = text.charAt(at);
        if (Character.isHighSurrogate(c)) {
            return at + 1 == text.length() || !Character.isLowSurrogate(text.charAt(at + 1));
        }
        return Character.isLowSurrogate(c)
                && (at == 0 || !Character.isHighSurrogate(text.charAt(at - 1)));
    }

    /**
     * {@code text} without insignificant whitespace, or null when it is not one JSON value
     * (RFC 8259) nested at most {@link #MAX_DEPTH} levels deep.
     */
    static String compact(String text) {
        Compactor compactor = new Compactor(text);
        try {
            compactor.space();
            compactor.value(0);
            compactor.space();
            return compactor.at == text.length() ? compactor.out.toString() : null;
        } catch (NotJson e) {
            return null;
        }
    }

    /** Thrown inside the compactor at the first thing that is not JSON. */
    private static final class NotJson extends Exception {
        private static final long serialVersionUID = 1L;
        static final NotJson INSTANCE = new NotJson();

        private NotJson() {
            super(null, null, false, false);
        }
    }

    private static final class Compactor {
        final String text;
        final StringBuilder out;
        int at;

        Compactor(String text) {
            this.text = text;
            this.out = new StringBuilder(text.length());
        }

        void value(int depth) throws NotJson {
            switch (peek()) {
                case '{' -> object(depth + 1);
                case '[' -> array(depth + 1);
                case '"' -> string();
                case 't' -> literal("true");
                case 'f' -> literal("false");
                case 'n' -> literal("null");
                default -> number();
            }
        }

        void object(int depth) throws NotJson {
            open(depth, '{');
            if (peek() == '}') {
                take('}');
                return;
            }
            do {
                space();
                if (peek() != '"') {
                    throw NotJson.INSTANCE;
                }
                string();
                space();
                take(':');
                space();
                value(depth);
                space();
            } while (comma());
            take('}');
        }

        void array(int depth) throws NotJson {
            open(depth, '[');
            if (peek() == ']') {
                take(']');
                return;
            }
            do {
                space();
                value(depth);
                space();
            } while (comma());
            take(']');
        }

        void open(int depth, char bracket) throws NotJson {
            if (depth > MAX_DEPTH) {
                throw NotJson.INSTANCE;
            }
            take(bracket);
            space();
        }

        boolean comma() throws NotJson {
            if (peek() != ',') {
                return false;
            }
            take(',');
            return true;
        }

        void string() throws NotJson {
            int start = at;
            at++; // the opening quote
            while (true) {
                char c = next();
                if (c == '"') {
                    break;
                }
                if (c < 0x20) {
                    throw NotJson.INSTANCE;
                }
                if (c == '\\') {
                    escape();
                }
            }
            out.append(text, start, at);
        }

        void escape() throws NotJson {
            char c = next();
            if (c == 'u') {
                for (int i = 0; i < 4; i++) {
                    if ("0123456789abcdefABCDEF".indexOf(next()) < 0) { // ASCII hex digits only
                        throw NotJson.INSTANCE;
                    }
                }
            } else if ("\"\\/bfnrt".indexOf(c) < 0) {
                throw NotJson.INSTANCE;
            }
        }

        void number() throws NotJson {
            int start = at;
            if (peek() == '-') {
                at++;
            }
            if (peek() == '0') {
                at++;
            } else {
                digits();
            }
            if (peek() == '.') {
                at++;
                digits();
            }
            if (peek() == 'e' || peek() == 'E') {
                at++;
                if (peek() == '+' || peek() == '-') {
                    at++;
                }
                digits();
            }
            out.append(text, start, at);
        }

        void digits() throws NotJson {
            int start = at;
            while (peek() >= '0' && peek() <= '9') {
                at++;
            }
            if (at == start) {
                throw NotJson.INSTANCE;
            }
        }

        void literal(String word) throws NotJson {
            if (!text.startsWith(word, at)) {
                throw NotJson.INSTANCE;
            }
            at += word.length();
            out.append(word);
        }

        void take(char expected) throws NotJson {
            if (peek() != expected) {
                throw NotJson.INSTANCE;
            }
            at++;
            out.append(expected);
        }

        void space() {
            while (at < text.length()) {
                char c = text.charAt(at);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                at++;
            }
        }

        /** The char at the cursor, or 0 (never valid where it is looked at) past the end. */
        char peek() {
            return at < text.length() ? text.charAt(at) : 0;
        }

        char next() throws NotJson {
            if (at >= text.length()) {
                throw NotJson.INSTANCE;
            }
            return text.charAt(at++);
        }
    }
}
