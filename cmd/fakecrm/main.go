// Command fakecrm serves a HubSpot-shaped CRM with three contacts on
// loopback, so Switchboard's admin UI can be tried without a CRM account.
// In the admin UI, create a HubSpot connection with the token it prints
// and its URL as the API base URL.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/switchboard-oss/switchboard/internal/fakecrm"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8090", "address to listen on")
	flag.Parse()

	contacts, owners := fakecrm.Sample()
	fmt.Printf("Fake HubSpot CRM on http://%s with %d contacts.\n", *listen, len(contacts))
	fmt.Printf("In the admin UI: CRM → New CRM connection → HubSpot, token %s,\nAPI base URL http://%s.\n", fakecrm.Token, *listen)
	fmt.Printf("Calls logged into it: curl -H 'Authorization: Bearer %s' http://%s/crm/v3/objects/calls\n", fakecrm.Token, *listen)
	fmt.Printf("For OAuth instead: any client id and secret, authorize URL http://%s/oauth/authorize,\ntoken URL http://%s/oauth/v1/token.\n", *listen, *listen)

	srv := &http.Server{Addr: *listen, Handler: fakecrm.New(contacts, owners), ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "fakecrm:", err)
		os.Exit(1)
	}
}
