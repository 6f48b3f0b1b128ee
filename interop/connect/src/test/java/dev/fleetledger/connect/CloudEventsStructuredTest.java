package dev.fleetledger.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.header.Headers;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class CloudEventsStructuredTest {
    private static final String SPEC = "{\"id\":\"e-1\",\"source\":\"agents/planner\",\"specversion\":\"1.0\"";

    private static SinkRecord record(Object value, String... headers) {
        Headers all = new ConnectHeaders();
        for (int at = 0; at < headers.length; at += 2) {
            all.add(headers[at], headers[at + 1] == null ? null : bytes(headers[at + 1]), Schema.OPTIONAL_BYTES_SCHEMA);
        }
        return new SinkRecord("ns.task", 2, Schema.STRING_SCHEMA, "task-7", Schema.BYTES_SCHEMA, value, 41L, 1700L,
                org.apache.kafka.common.record.TimestampType.CREATE_TIME, all);
    }

    /** A binary-mode event of a few attributes, with the given value and more headers. */
    private static SinkRecord event(Object value, String... more) {
        List<String> headers = new ArrayList<>(List.of("ce_specversion", "1.0", "ce_id", "e-1", "ce_source",
                "agents/planner", "ce_type", "task.requested"));
        headers.addAll(Arrays.asList(more));
        return record(value, headers.toArray(String[]::new));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String fold(SinkRecord record, Map<String, String> settings) {
        try (CloudEventsStructured<SinkRecord> transform = new CloudEventsStructured<>()) {
            transform.configure(settings);
            return (String) transform.apply(record).value();
        }
    }

    private static String fold(SinkRecord record) {
        return fold(record, Map.of());
    }

    @Test
    void attributesBecomeMembersInRfc8785OrderWithTheJsonValueAsData() {
        SinkRecord record = event(bytes("{\"goal\":\"refund\"}"), "content-type", "application/json",
                "ce_subject", "task-7", "ce_agentid", "planner-7");
        assertEquals("{\"agentid\":\"planner-7\",\"data\":{\"goal\":\"refund\"},\"datacontenttype\":\"application/json\","
                + "\"id\":\"e-1\",\"source\":\"agents/planner\",\"specversion\":\"1.0\",\"subject\":\"task-7\","
                + "\"type\":\"task.requested\"}", fold(record));
    }

    @Test
    void canonicalJsonDataIsCopiedByteForByte() {
        String data = "{\"big\":9007199254740991,\"huge\":1e+300,\"text\":\"\\u001f ü 🚀 \\\"q\\\" \\\\\",\"tiny\":5e-324}";
        String folded = fold(event(bytes(data), "content-type", "application/json"));
        assertTrue(folded.contains("\"data\":" + data + ","), folded);
    }

    @Test
    void whitespaceBetweenTokensIsLeftOutAndInsideStringsKept() {
        String folded = fold(event(bytes(" {\n  \"a\" : [ 1.50 , \"x  y\" ],\r\n\t\"b\": {} }\n"),
                "content-type", "application/json"));
        assertTrue(folded.startsWith("{\"data\":{\"a\":[1.50,\"x  y\"],\"b\":{}},"), folded);
    }

    @Test
    void textValuesFromTheStringConverterFoldAsBytesDo() {
        assertEquals(fold(event(bytes("[1,2]"), "content-type", "application/json")),
                fold(event("[1,2]", "content-type", "application/json")));
    }

    @Test
    void aValueThatIsNoJsonTravelsAsDataBase64() {
        String folded = fold(event(bytes("{not json"), "content-type", "application/json"));
        assertTrue(folded.startsWith("{\"data_base64\":\"e25vdCBqc29u\",\"datacontenttype\":\"application/json\","),
                folded);
    }

    @Test
    void aValueOfAnotherContentTypeTravelsAsDataBase64() {
        String folded = fold(event(new byte[] {0, (byte) 0xff, 1}, "content-type", "application/octet-stream"));
        assertTrue(folded.startsWith("{\"data_base64\":\"AP8B\",\"datacontenttype\":\"application/octet-stream\","),
                folded);
    }

    @Test
    void jsonContentTypesWithSuffixesAndParametersCarryData() {
        for (String type : List.of("application/vnd.x+json", "text/json; charset=utf-8", "APPLICATION/JSON")) {
            assertTrue(fold(event(bytes("true"), "content-type", type)).startsWith("{\"data\":true,"), type);
        }
    }

    @Test
    void withoutAContentTypeAJsonValueIsData() {
        assertTrue(fold(event(bytes("\"hi\""))).startsWith("{\"data\":\"hi\",\"id\":"));
    }

    @Test
    void aNullValueIsAnEventWithoutData() {
        assertEquals(SPEC + ",\"type\":\"task.requested\"}", fold(event(null)));
    }

    @Test
    void theCeDatacontenttypeHeaderCountsWhenThereIsNoContentType() {
        String folded = fold(event(bytes("{}"), "ce_datacontenttype", "text/plain"));
        assertTrue(folded.startsWith("{\"data_base64\":\"e30=\",\"datacontenttype\":\"text/plain\","), folded);
    }

    @Test
    void integerAttributesAreNumbersWhenConfigured() {
        SinkRecord record = event(null, "ce_dataversion", "1", "ce_retries", "-12", "ce_count", "007");
        String folded = fold(record, Map.of(CloudEventsStructured.INTEGER_ATTRIBUTES, "dataversion,retries,count"));
        assertTrue(folded.startsWith("{\"count\":\"007\",\"dataversion\":1,\"id\":\"e-1\",\"retries\":-12,"), folded);
    }

    @Test
    void integerAttributesBeyondThirtyTwoBitsStayText() {
        SinkRecord record = event(null, "ce_dataversion", "2147483648");
        String folded = fold(record, Map.of(CloudEventsStructured.INTEGER_ATTRIBUTES, "dataversion"));
        assertTrue(folded.startsWith("{\"dataversion\":\"2147483648\","), folded);
    }

    @Test
    void withoutConfigurationEveryAttributeIsText() {
        assertTrue(fold(event(null, "ce_dataversion", "1")).startsWith("{\"dataversion\":\"1\","));
    }

    @Test
    void aCoreAttributeCannotBeConfiguredAsInteger() {
        try (CloudEventsStructured<SinkRecord> transform = new CloudEventsStructured<>()) {
            assertThrows(ConfigException.class,
                    () -> transform.configure(Map.of(CloudEventsStructured.INTEGER_ATTRIBUTES, "time")));
        }
    }

    @Test
    void attributeTextIsEscapedAsRfc8785Does() {
        String folded = fold(event(null, "ce_subject", "a\"b\\c\nd\u0001e\u007f ü\u2028🚀"));
        assertTrue(folded.contains("\"subject\":\"a\\\"b\\\\c\\nd\\u0001e\u007f ü\u2028🚀\""), folded);
    }

    @Test
    void theTimeKeepsEveryDigitOfItsText() {
        String folded = fold(event(null, "ce_time", "2025-01-31T23:59:59.999999999+02:00"));
        assertTrue(folded.contains("\"time\":\"2025-01-31T23:59:59.999999999+02:00\""), folded);
    }

    @Test
    void theLastOfRepeatedHeadersCounts() {
        assertTrue(fold(event(null, "ce_id", "e-2")).startsWith("{\"id\":\"e-2\","));
    }

    @Test
    void aHeaderWithANullValueIsAnAbsentAttribute() {
        assertEquals(SPEC + ",\"type\":\"task.requested\"}", fold(event(null, "ce_subject", null)));
    }

    @Test
    void stringHeadersFromTheStringConverterFoldAsBytesDo() {
        SinkRecord bytes = event(null, "ce_subject", "ü");
        SinkRecord text = bytes.newRecord(bytes.topic(), bytes.kafkaPartition(), bytes.keySchema(), bytes.key(),
                bytes.valueSchema(), null, bytes.timestamp(), new ConnectHeaders());
        for (Header header : bytes.headers()) {
            text.headers().addString(header.key(), new String((byte[]) header.value(), StandardCharsets.UTF_8));
        }
        assertEquals(fold(bytes), fold(text));
    }

    @Test
    void headersParsedIntoOtherTypesAreRefusedNamingTheHeaderConverter() {
        SinkRecord record = event(null);
        record.headers().addInt("ce_dataversion", 1);
        DataException refused = assertThrows(DataException.class, () -> fold(record));
        assertTrue(refused.getMessage().contains("header.converter"), refused.getMessage());
    }

    @Test
    void aHeaderThatIsNoUtf8IsRefused() {
        SinkRecord record = event(null);
        record.headers().add("ce_subject", new byte[] {(byte) 0xc3}, Schema.BYTES_SCHEMA);
        assertThrows(DataException.class, () -> fold(record));
    }

    @Test
    void aRecordWithoutSpecversionIsNoCloudEvent() {
        DataException refused = assertThrows(DataException.class, () -> fold(record(bytes("{}"), "ce_id", "e-1")));
        assertTrue(refused.getMessage().contains("ns.task/2 at offset 41"), refused.getMessage());
    }

    @Test
    void headersThatNameNoAttributeAreRefused() {
        for (String name : List.of("ce_Subject", "ce_data", "ce_data_base64", "ce_")) {
            assertThrows(DataException.class, () -> fold(event(null, name, "x")), name);
        }
    }

    @Test
    void otherHeadersAreIgnored() {
        assertEquals(fold(event(null)), fold(event(null, "fl_appended", "123", "traceparent", "00-x")));
    }

    @Test
    void theResultIsAStructuredModeRecordAtTheSamePlace() {
        SinkRecord record = event(bytes("{}"), "content-type", "application/json", "fl_appended", "123");
        try (CloudEventsStructured<SinkRecord> transform = new CloudEventsStructured<>()) {
            transform.configure(Map.of());
            SinkRecord folded = transform.apply(record);
            assertEquals(List.of("ns.task", 2, "task-7", 41L, 1700L, Schema.STRING_SCHEMA),
                    List.of(folded.topic(), folded.kafkaPartition(), folded.key(), folded.kafkaOffset(),
                            folded.timestamp(), folded.valueSchema()));
            List<String> names = new ArrayList<>();
            folded.headers().forEach(header -> names.add(header.key()));
            assertEquals(List.of("fl_appended", "content-type"), names);
            assertEquals(CloudEventsStructured.STRUCTURED, folded.headers().lastWithName("content-type").value());
        }
    }

    @Test
    void aStructuredRecordKeepsItsDocument() {
        String folded = fold(record(bytes("{ \"id\": \"e-1\",\n \"specversion\": \"1.0\" }"),
                "content-type", "application/cloudevents+json; charset=utf-8"));
        assertEquals("{\"id\":\"e-1\",\"specversion\":\"1.0\"}", folded);
    }

    @Test
    void otherValueTypesAreRefusedNamingTheValueConverter() {
        DataException refused = assertThrows(DataException.class, () -> fold(event(Map.of("a", 1))));
        assertTrue(refused.getMessage().contains("value.converter"), refused.getMessage());
    }
}
