package dev.fleetledger.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;

import org.junit.jupiter.api.Test;

class JsonTextTest {
    @Test
    void everyKindOfValueIsKeptAsWritten() {
        for (String json : List.of("0", "-0.0e-0", "1E+2", "\"\"", "\"\\ud83d\\ude80\\/\"", "true", "false", "null",
                "[]", "{}", "[[],{},[1,[2.5,[null,true,false]]]]", "{\"a\":{\"b\":[\"c\"]}}")) {
            assertEquals(json, JsonText.compact(json), json);
        }
    }

    @Test
    void whitespaceAroundTokensIsLeftOut() {
        assertEquals("{\"a\":[1,2],\"b\":\"c d\"}", JsonText.compact("\r\n { \"a\" :\t[ 1 ,2 ] , \"b\":\"c d\" } "));
    }

    @Test
    void whatIsNoJsonGivesNull() {
        for (String text : List.of("", " ", "{", "[1,]", "{\"a\":1,}", "{a:1}", "01", "-", "1.", ".5", "1e", "+1",
                "\"a", "\"\\x\"", "\"\\u12g4\"", "\"\\u１２３４\"", "\"tab\there\"", "tru", "nul", "[1 2]", "{\"a\" 1}", "1 2",
                "NaN", "Infinity", "'a'", "\uFEFF{}", "{\"a\":1}x", "[\u000b]")) {
            assertNull(JsonText.compact(text), text);
        }
    }

    @Test
    void nestingIsBoundedWithoutOverflowingTheStack() {
        String deepest = "[".repeat(JsonText.MAX_DEPTH) + "]".repeat(JsonText.MAX_DEPTH);
        assertEquals(deepest, JsonText.compact(deepest));
        assertNull(JsonText.compact("[" + deepest + "]"));
        assertNull(JsonText.compact("[".repeat(100_000)));
    }

    @Test
    void quotingEscapesOnlyWhatRfc8785Escapes() {
        assertEquals("\"\\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u001f\u007f/ü🚀\u2028\"",
                JsonText.quote("\"\\\b\f\n\r\t\u0000\u001f\u007f/ü🚀\u2028"));
    }

    @Test
    void loneSurrogatesAreEscapedSoTheTextStaysUtf8() {
        assertEquals("\"\\ud800 \\udc00\"", JsonText.quote("\ud800 \udc00"));
    }
}
