package server

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// attrValue is a message attribute or message system attribute as the
// JSON protocol carries it. BinaryValue travels base64-encoded, which
// encoding/json does for []byte.
type attrValue struct {
	DataType         string   `json:"DataType"`
	StringValue      *string  `json:"StringValue,omitempty"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty"`
	StringListValues []string `json:"StringListValues,omitempty"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty"`
}

// isBinary reports whether the attribute carries BinaryValue: its data
// type is Binary or a custom Binary.x.
func (a attrValue) isBinary() bool {
	return a.DataType == "Binary" || strings.HasPrefix(a.DataType, "Binary.")
}

// size is what the attribute counts towards the message size limit: its
// name, data type and value, in bytes.
func (a attrValue) size(name string) int {
	n := len(name) + len(a.DataType) + len(a.BinaryValue)
	if a.StringValue != nil {
		n += len(*a.StringValue)
	}
	return n
}

// md5OfAttributes is the digest SQS returns as MD5OfMessageAttributes (and
// MD5OfMessageSystemAttributes): over the attributes sorted by name, each
// name, data type and value with a 4-byte big-endian length before it, and
// a transport byte (1 for string values, 2 for binary) before the value.
// "" for no attributes, when SQS leaves the field out.
func md5OfAttributes(attrs map[string]attrValue) string {
	if len(attrs) == 0 {
		return ""
	}
	h := md5.New()
	var n [4]byte
	put := func(b []byte) {
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		a := attrs[name]
		put([]byte(name))
		put([]byte(a.DataType))
		if a.isBinary() {
			h.Write([]byte{2})
			put(a.BinaryValue)
		} else {
			h.Write([]byte{1})
			put([]byte(deref(a.StringValue)))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// validText reports whether s holds only the characters SQS allows in a
// message: #x9, #xA, #xD, #x20 to #xD7FF, #xE000 to #xFFFD and #x10000 to
// #x10FFFF (what XML 1.0 allows).
func validText(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		i += size
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

var (
	attrName   = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`) // and at most 256 long
	dataType   = regexp.MustCompile(`^(String|Number|Binary)(\.[A-Za-z0-9_.-]+)?$`)
	number     = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)
	maxAttrs   = 10
	maxTypeLen = 256
)

// checkMessageAttributes checks message attributes the way SendMessage
// does and returns what they add to the message size.
func checkMessageAttributes(attrs map[string]attrValue) (int, *Error) {
	if len(attrs) > maxAttrs {
		return 0, apiError("InvalidParameterValue", "Number of message attributes [%d] exceeds the allowed maximum [%d].", len(attrs), maxAttrs)
	}
	size := 0
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		a := attrs[name]
		lower := strings.ToLower(name)
		switch {
		case len(name) > 256 || !attrName.MatchString(name) || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, ".."):
			return 0, apiError("InvalidParameterValue", "Message (user) attribute name '%s' is invalid. Names may contain letters, digits, '_', '-' and '.' (not first, last or twice in a row), up to 256 characters.", name)
		case strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon."):
			return 0, apiError("InvalidParameterValue", "Message (user) attribute name '%s' is invalid: the prefixes AWS. and Amazon. are reserved.", name)
		case a.DataType == "":
			return 0, apiError("InvalidParameterValue", "The message attribute '%s' must contain non-empty message attribute type.", name)
		case len(a.DataType) > maxTypeLen || !dataType.MatchString(a.DataType):
			return 0, apiError("InvalidParameterValue", "The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
		case a.StringListValues != nil || a.BinaryListValues != nil:
			return 0, apiError("InvalidParameterValue", "Message attribute list values in SendMessage operation are not supported.")
		case a.isBinary() && (len(a.BinaryValue) == 0 || a.StringValue != nil):
			return 0, apiError("InvalidParameterValue", "The message attribute '%s' with type 'Binary' must use field 'Binary'.", name)
		case !a.isBinary() && (a.StringValue == nil || *a.StringValue == "" || a.BinaryValue != nil):
			return 0, apiError("InvalidParameterValue", "The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, a.DataType)
		case !a.isBinary() && !validText(*a.StringValue):
			return 0, apiError("InvalidParameterValue", "The message attribute '%s' contains characters outside the allowed set.", name)
		case strings.HasPrefix(a.DataType, "Number") && !number.MatchString(*a.StringValue):
			return 0, apiError("InvalidParameterValue", "Can't cast the value of message (user) attribute '%s' to a number.", name)
		}
		size += a.size(name)
	}
	return size, nil
}

// checkSystemAttributes checks message system attributes: SQS takes only
// AWSTraceHeader, a String.
func checkSystemAttributes(attrs map[string]attrValue) *Error {
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		a := attrs[name]
		switch {
		case name != "AWSTraceHeader":
			return apiError("InvalidParameterValue", "Message system attribute name '%s' is invalid.", name)
		case a.DataType != "String" || a.StringValue == nil || *a.StringValue == "" || a.BinaryValue != nil:
			return apiError("InvalidParameterValue", "Message system attribute '%s' must be a non-empty String.", name)
		}
	}
	return nil
}

// selectAttributes returns the attributes a ReceiveMessage asks for by
// name: All or .* for all, a name, or a prefix ending in .* ("order.*").
func selectAttributes(attrs map[string]attrValue, names []string) map[string]attrValue {
	if len(attrs) == 0 || len(names) == 0 {
		return nil
	}
	var out map[string]attrValue
	for name, a := range attrs {
		for _, want := range names {
			prefix, wildcard := strings.CutSuffix(want, ".*")
			if want == "All" || want == ".*" || want == name || (wildcard && strings.HasPrefix(name, prefix+".")) {
				if out == nil {
					out = map[string]attrValue{}
				}
				out[name] = a
				break
			}
		}
	}
	return out
}

var groupOrDedupID = regexp.MustCompile("^[!-~]+$") // and at most 128 long
