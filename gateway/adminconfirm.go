package gateway

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"
)

// confirmField is the form field a confirmation page adds to the form it
// posts again. A destructive admin action runs only when it is "yes".
const confirmField = "confirm"

// confirmPage is the data of confirm.html.
type confirmPage struct {
	// Question names the action and what it destroys.
	Question string
	// Action is the path the confirmed form posts to: the one that asked.
	Action string
	// Button is the label of the confirming button, such as "Delete".
	Button string
	// Cancel is the page to go back to without doing anything.
	Cancel string
	// Fields are the submitted form values, posted again as they were.
	Fields []namedValue
}

// confirmed reports whether the request carries the confirmation of a
// destructive action.
func confirmed(c echo.Context) bool {
	return c.FormValue(confirmField) == "yes"
}

// askConfirmation renders a page that asks the admin to confirm the
// posted action. Its form posts every submitted value back to the same
// path with confirm=yes, so it works without JavaScript and for forms
// with many fields, such as the routing rules.
func (s *Server) askConfirmation(c echo.Context, title, question, button, cancel string) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	page := confirmPage{Question: question, Action: c.Request().URL.Path, Button: button, Cancel: cancel, Fields: resubmittedFields(form)}
	return s.renderAdmin(c, http.StatusOK, "confirm.html", &adminPage{Title: title, Data: page})
}

// resubmittedFields returns the values of form in a stable order, without
// the CSRF token, which the confirmation page sets afresh.
func resubmittedFields(form url.Values) []namedValue {
	names := make([]string, 0, len(form))
	for name := range form {
		if name != "_csrf" && name != confirmField {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var fields []namedValue
	for _, name := range names {
		for _, v := range form[name] {
			fields = append(fields, namedValue{Name: name, Value: v})
		}
	}
	return fields
}
