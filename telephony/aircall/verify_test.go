package aircall_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/telephony"
	"github.com/switchboard-oss/switchboard/telephony/aircall"
)

func TestVerify(t *testing.T) {
	body := readFixture(t, "call_created.json")
	tests := []struct {
		name    string
		body    []byte
		token   string
		wantErr bool
	}{
		{name: "matching token", body: body, token: webhookToken},
		{name: "wrong token", body: body, token: "0c9f8e7d6c5b4a39281706f5e4d3c2b1", wantErr: true},
		{name: "token prefix only", body: body, token: webhookToken[:16], wantErr: true},
		{name: "no token configured", body: body, token: "", wantErr: true},
		{name: "body without token", body: []byte(`{"resource":"call","event":"call.created","data":{"id":1}}`), token: webhookToken, wantErr: true},
		{name: "empty token in body", body: []byte(`{"token":"","resource":"call"}`), token: webhookToken, wantErr: true},
		{name: "body not json", body: []byte(`token=` + webhookToken), token: webhookToken, wantErr: true},
	}

	adapter := aircall.New(aircall.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := adapter.Verify(telephony.Request{Body: tt.body}, telephony.Credentials{WebhookToken: tt.token}, time.Now())
			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, telephony.ErrBadSignature)
		})
	}
}
