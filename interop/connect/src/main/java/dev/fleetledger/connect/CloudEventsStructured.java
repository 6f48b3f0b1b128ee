package dev.fleetledger.connect;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.header.Headers;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.transforms.Transformation;

/**
 * Turns a CloudEvent in the Kafka binding's binary content mode (attributes in {@code ce_}
 * headers, {@code datacontenttype} in {@code content-type}, the data as the value) into the
 * same event in structured content mode: one JSON document ({@code application/cloudevents+json},
 * CloudEvents JSON Event Format 1.0) as a string value, so that a stock sink such as
 * {@code FileStreamSink} writes one whole CloudEvent per line.
 *
 * <ul>
 *   <li>Every {@code ce_} header becomes a top-level member under its attribute name, its text
 *       unchanged (a header whose value is null is an absent attribute). Attributes named in
 *       {@code integer.attributes} whose text is a decimal CloudEvents Integer are written as
 *       JSON numbers, which is how the JSON format carries that type; every other one is a
 *       JSON string.
 *   <li>The value is {@code data} when the content type is JSON ({@code application/json},
 *       {@code text/json}, any {@code +json} type) or absent and the value is one UTF-8 JSON
 *       document: written as it was, only the whitespace between its tokens left out, so
 *       numbers and strings keep their exact text. Otherwise it is {@code data_base64}. A
 *       null value is an event without data.
 *   <li>Members are written in RFC 8785 order (by name, UTF-16 code units), strings escaped as
 *       RFC 8785 does: an event whose attributes are text and whose data is canonical JSON
 *       comes out as its RFC 8785 canonical document.
 *   <li>The {@code ce_} headers give way to {@code content-type: application/cloudevents+json},
 *       as the binding's structured mode has it. A record that already is a structured
 *       CloudEvent keeps its document (compacted, when it is JSON).
 * </ul>
 *
 * <p>Headers must reach the transform as the bytes or the text the producer wrote: set
 * {@code header.converter} to {@code ByteArrayConverter} or {@code StringConverter}. Connect's
 * default, {@code SimpleHeaderConverter}, parses header text into numbers, booleans and
 * timestamps (to the millisecond), which would lose what an attribute said; such a header is
 * refused. So is a record that is no CloudEvent in binary mode (no {@code ce_specversion}):
 * Connect's {@code errors.tolerance} decides what becomes of it.
 *
 * @param <R> the kind of record (source or sink)
 */
public class CloudEventsStructured<R extends ConnectRecord<R>> implements Transformation<R> {
    /** The content type of a structured-mode CloudEvent in JSON. */
    public static final String STRUCTURED = "application/cloudevents+json";

    /** Attributes of type Integer, written as JSON numbers (a list of names). */
    public static final String INTEGER_ATTRIBUTES = "integer.attributes";

    public static final ConfigDef CONFIG_DEF =
            new ConfigDef()
                    .define(
                            INTEGER_ATTRIBUTES,
                            ConfigDef.Type.LIST,
                            List.of(),
                            ConfigDef.Importance.MEDIUM,
                            "Attributes of the CloudEvents type Integer (extensions such as"
                                    + " dataversion): written as JSON numbers when their header"
                                    + " holds a decimal integer, as strings otherwise.");

    static final String PREFIX = "ce_";
    static final String CONTENT_TYPE = "content-type";
    /** The core attributes: none of them is of type Integer. */
    private static final Set<String> TEXT_ATTRIBUTES =
            Set.of("id", "source", "specversion", "type", "datacontenttype", "dataschema", "subject", "time");

    private static final Pattern NAME = Pattern.compile("[a-z0-9]+");
    private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]{0,9})");
    private static final Pattern JSON_TYPE =
            Pattern.compile(
                    "(application|text)/([a-z0-9!#$&^_.+-]+\\+)?json([ \\t]*;.*)?",
                    Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

    private Set<String> integers = Set.of();

    @Override
    public void configure(Map<String, ?> settings) {
        AbstractConfig config = new AbstractConfig(CONFIG_DEF, settings);
        List<String> names = config.getList(INTEGER_ATTRIBUTES);
        for (String name : names) {
            if (!NAME.matcher(name).matches() || TEXT_ATTRIBUTES.contains(name)) {
                throw new ConfigException(INTEGER_ATTRIBUTES, name, "not an extension attribute's name");
            }
        }
        integers = Set.copyOf(names);
    }

    @Override
    public R apply(R record) {
        String contentType = text(record.headers().lastWithName(CONTENT_TYPE));
        String document =
                contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith(STRUCTURED)
                        ? structured(record)
                        : fold(record, contentType);
        Headers headers = record.headers().duplicate();
        for (Header header : record.headers()) {
            if (header.key().startsWith(PREFIX)) {
                headers.remove(header.key());
            }
        }
        headers.remove(CONTENT_TYPE).addString(CONTENT_TYPE, STRUCTURED);
        return record.newRecord(
                record.topic(),
                record.kafkaPartition(),
                record.keySchema(),
                record.key(),
                Schema.STRING_SCHEMA,
                document,
                record.timestamp(),
                headers);
    }

    /** The structured document of a binary-mode record. */
    private String fold(R record, String contentType) {
        Map<String, String> members = attributes(record); // String order: UTF-16, as RFC 8785
        if (!members.containsKey("specversion")) {
            throw new DataException(where(record) + " is no CloudEvent in binary mode: no ce_specversion header");
        }
        String declared = contentType != null ? contentType : text(record.headers().lastWithName(PREFIX + "datacontenttype"));
        if (declared != null) {
            members.put("datacontenttype", JsonText.quote(declared));
        }
        byte[] value = bytes(record);
        if (value != null) {
            String data = declared == null || JSON_TYPE.matcher(declared).matches() ? json(value) : null;
            if (data != null) {
                members.put("data", data);
            } else {
                members.put("data_base64", JsonText.quote(Base64.getEncoder().encodeToString(value)));
            }
        }
        StringBuilder out = new StringBuilder();
        out.append('{');
        for (Map.Entry<String, String> member : members.entrySet()) {
            if (out.length() > 1) {
                out.append(',');
            }
            JsonText.quote(member.getKey(), out);
            out.append(':').append(member.getValue());
        }
        return out.append('}').toString();
    }

    /** Each attribute's name and JSON value, from the {@code ce_} headers (the last of a name). */
    private TreeMap<String, String> attributes(R record) {
        TreeMap<String, String> members = new TreeMap<>();
        for (Header header : record.headers()) {
            if (header.key().startsWith(PREFIX)) {
                String name = attributeName(header.key(), record);
                String value = text(header);
                if (value == null) {
                    members.remove(name);
                } else {
                    members.put(name, attribute(name, value));
                }
            }
        }
        return members;
    }

    /** The document of a record that is a structured CloudEvent already. */
    private String structured(R record) {
        byte[] value = bytes(record);
        if (value == null) {
            throw new DataException(where(record) + " is a structured CloudEvent without a value");
        }
        String text = utf8(value, where(record) + "'s value");
        String compact = JsonText.compact(text);
        return compact != null ? compact : text;
    }

    private String attributeName(String header, R record) {
        String name = header.substring(PREFIX.length());
        if (!NAME.matcher(name).matches() || name.equals("data")) {
            throw new DataException(
                    where(record) + " has header " + header + ", which names no CloudEvents attribute"
                            + " (names are lowercase ASCII letters and digits, and not \"data\")");
        }
        return name;
    }

    /** An attribute's JSON value: a number for a decimal integer of an Integer attribute. */
    private String attribute(String name, String text) {
        if (integers.contains(name) && INTEGER.matcher(text).matches()) {
            long number = Long.parseLong(text);
            if (number >= Integer.MIN_VALUE && number <= Integer.MAX_VALUE) {
                return text;
            }
        }
        return JsonText.quote(text);
    }

    /** The value as one compact JSON document, or null when it is none. */
    private static String json(byte[] value) {
        try {
            return JsonText.compact(decoder(value));
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** A header's text, or null for a header with a null value (or none at all). */
    static String text(Header header) {
        if (header == null || header.value() == null) {
            return null;
        }
        Object value = header.value();
        if (value instanceof String text) {
            return text;
        }
        if (value instanceof byte[] raw) {
            return utf8(raw, "header " + header.key());
        }
        throw new DataException(
                "header " + header.key() + " reached the transform as " + value.getClass().getSimpleName()
                        + ", not as its bytes or text: set header.converter to"
                        + " org.apache.kafka.connect.converters.ByteArrayConverter or"
                        + " org.apache.kafka.connect.storage.StringConverter");
    }

    /** The record's value as bytes (text as UTF-8), or null for a null value. */
    private static byte[] bytes(ConnectRecord<?> record) {
        Object value = record.value();
        if (value == null) {
            return null;
        }
        if (value instanceof byte[] raw) {
            return raw;
        }
        if (value instanceof String text) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        if (value instanceof ByteBuffer buffer) {
            byte[] raw = new byte[buffer.remaining()];
            buffer.duplicate().get(raw);
            return raw;
        }
        throw new DataException(
                where(record) + "'s value reached the transform as " + value.getClass().getSimpleName()
                        + ": set value.converter to"
                        + " org.apache.kafka.connect.converters.ByteArrayConverter or"
                        + " org.apache.kafka.connect.storage.StringConverter");
    }

    private static String utf8(byte[] raw, String what) {
        try {
            return decoder(raw);
        } catch (CharacterCodingException e) {
            throw new DataException(what + " is not UTF-8 text", e);
        }
    }

    private static String decoder(byte[] raw) throws CharacterCodingException {
        return StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(raw))
                .toString();
    }

    private static String where(ConnectRecord<?> record) {
        String at = "the record of " + record.topic() + "/" + record.kafkaPartition();
        return record instanceof SinkRecord sink ? at + " at offset " + sink.kafkaOffset() : at;
    }

    @Override
    public ConfigDef config() {
        return CONFIG_DEF;
    }

    @Override
    public String version() {
        String version = CloudEventsStructured.class.getPackage().getImplementationVersion();
        return version != null ? version : "unknown";
    }

    @Override
    public void close() {}
}
