package crm

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCallNotesHTMLShowsNotesAsTyped(t *testing.T) {
	cases := []struct {
		name  string
		notes string
		want  string
	}{
		{"ampersand", "Q&A", "<p>Q&amp;A</p>"},
		{"markup", "<b>not bold</b> 1 < 2 > 0", "<p>&lt;b&gt;not bold&lt;/b&gt; 1 &lt; 2 &gt; 0</p>"},
		{"entity", "&lt; stays text", "<p>&amp;lt; stays text</p>"},
		{"quotes", `"a" 'b'`, "<p>&#34;a&#34; &#39;b&#39;</p>"},
		{"line break", "line one\nline two", "<p>line one<br>line two</p>"},
		{"blank line", "first\n\nsecond", "<p>first</p><p>second</p>"},
		{"CRLF", "first\r\n\r\nsecond\r\nthird", "<p>first</p><p>second<br>third</p>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log := CallLog{CallID: "call_0001", Notes: tc.notes}
			require.Equal(t, tc.want+"<p>Switchboard call call_0001</p>", CallNotesHTML(log))
		})
	}
}
