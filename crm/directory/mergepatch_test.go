package directory

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The cases are the test cases of RFC 7396 appendix A, plus the example of
// its section 3 and a few of our own.
func TestMergePatch(t *testing.T) {
	tests := []struct {
		name   string
		target string
		patch  string
		want   string
	}{
		{name: "replace member", target: `{"a":"b"}`, patch: `{"a":"c"}`, want: `{"a":"c"}`},
		{name: "add member", target: `{"a":"b"}`, patch: `{"b":"c"}`, want: `{"a":"b","b":"c"}`},
		{name: "remove only member", target: `{"a":"b"}`, patch: `{"a":null}`, want: `{}`},
		{name: "remove one member", target: `{"a":"b","b":"c"}`, patch: `{"a":null}`, want: `{"b":"c"}`},
		{name: "string replaces array", target: `{"a":["b"]}`, patch: `{"a":"c"}`, want: `{"a":"c"}`},
		{name: "array replaces string", target: `{"a":"c"}`, patch: `{"a":["b"]}`, want: `{"a":["b"]}`},
		{name: "nested merge and removal", target: `{"a":{"b":"c"}}`, patch: `{"a":{"b":"d","c":null}}`, want: `{"a":{"b":"d"}}`},
		{name: "array replaced whole", target: `{"a":[{"b":"c"}]}`, patch: `{"a":[1]}`, want: `{"a":[1]}`},
		{name: "array target and patch", target: `["a","b"]`, patch: `["c","d"]`, want: `["c","d"]`},
		{name: "array patch replaces object", target: `{"a":"b"}`, patch: `["c"]`, want: `["c"]`},
		{name: "null patch", target: `{"a":"foo"}`, patch: `null`, want: `null`},
		{name: "string patch", target: `{"a":"foo"}`, patch: `"bar"`, want: `"bar"`},
		{name: "null in target kept", target: `{"e":null}`, patch: `{"a":1}`, want: `{"e":null,"a":1}`},
		{name: "object patch on array", target: `[1,2]`, patch: `{"a":"b","c":null}`, want: `{"a":"b"}`},
		{name: "nulls dropped inside new object", target: `{}`, patch: `{"a":{"bb":{"ccc":null}}}`, want: `{"a":{"bb":{}}}`},
		{
			name:   "section 3 example",
			target: `{"title":"Goodbye!","author":{"givenName":"John","familyName":"Doe"},"tags":["example","sample"],"content":"This will be unchanged"}`,
			patch:  `{"title":"Hello!","phoneNumber":"+01-123-456-7890","author":{"familyName":null},"tags":["example"]}`,
			want:   `{"title":"Hello!","author":{"givenName":"John"},"tags":["example"],"content":"This will be unchanged","phoneNumber":"+01-123-456-7890"}`,
		},
		{name: "large integer kept exactly", target: `{"n":1}`, patch: `{"m":12345678901234567890}`, want: `{"m":12345678901234567890,"n":1}`},
		{name: "empty patch object changes nothing", target: `{"a":{"b":1}}`, patch: `{}`, want: `{"a":{"b":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MergePatch([]byte(tt.target), []byte(tt.patch))
			require.NoError(t, err)
			require.JSONEq(t, tt.want, string(got))
		})
	}
}

func TestMergePatchKeepsDigits(t *testing.T) {
	got, err := MergePatch([]byte(`{"n":1.50}`), []byte(`{"m":12345678901234567890}`))
	require.NoError(t, err)
	require.Equal(t, `{"m":12345678901234567890,"n":1.50}`, string(got))
}

func TestMergePatchRejectsBrokenJSON(t *testing.T) {
	tests := []struct {
		name   string
		target string
		patch  string
	}{
		{name: "broken patch", target: `{}`, patch: `{"a":`},
		{name: "broken target", target: `{"a"`, patch: `{}`},
		{name: "trailing data", target: `{}`, patch: `{} {}`},
		{name: "empty patch", target: `{}`, patch: ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MergePatch([]byte(tt.target), []byte(tt.patch))
			require.Error(t, err)
		})
	}
}
