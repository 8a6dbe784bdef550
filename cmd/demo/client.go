package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// apiClient calls the gateway's public HTTP API with an API key, as any
// integration would.
type apiClient struct {
	baseURL string
	apiKey  string
	http    *http.Client
}

func newAPIClient(baseURL, apiKey string) *apiClient {
	return &apiClient{baseURL: baseURL, apiKey: apiKey, http: &http.Client{Timeout: 10 * time.Second}}
}

// call sends in as the JSON body of method path, expects status want and
// decodes the response body into out, unless out is nil.
func (c *apiClient) call(ctx context.Context, method, path string, in any, want int, out any) error {
	var body io.Reader
	if in != nil {
		payload, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode the body of %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read the response: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s returned %d, expected %d: %.500s", method, path, resp.StatusCode, want, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode the response: %w", method, path, err)
	}
	return nil
}

// webhookResponse is the gateway's response to a provider's webhook.
type webhookResponse struct {
	status      int
	contentType string
	body        string
}

// postWebhook sends a webhook as a provider would: no API key, only the
// provider's own signature headers.
func postWebhook(ctx context.Context, client *http.Client, url, contentType string, body []byte, header http.Header) (webhookResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return webhookResponse{}, err
	}
	for name, values := range header {
		req.Header[name] = values
	}
	req.Header.Set("Content-Type", contentType)

	resp, err := client.Do(req)
	if err != nil {
		return webhookResponse{}, fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return webhookResponse{}, fmt.Errorf("POST %s: read the response: %w", url, err)
	}
	return webhookResponse{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: string(data)}, nil
}
