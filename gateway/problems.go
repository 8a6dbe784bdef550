package gateway

import (
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"
)

type problemTypeView struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	About  string `json:"about"`
}

func viewProblemType(pt problemType) problemTypeView {
	return problemTypeView{Type: "/problems/" + pt.Slug, Title: pt.Title, Status: pt.Status, About: pt.About}
}

// listProblemTypes documents every problem type the API returns.
func (s *Server) listProblemTypes(c echo.Context) error {
	views := make([]problemTypeView, 0, len(problemTypes))
	for _, pt := range problemTypes {
		views = append(views, viewProblemType(pt))
	}
	sort.Slice(views, func(i, j int) bool { return views[i].Type < views[j].Type })
	return c.JSON(http.StatusOK, listResponse[problemTypeView]{Data: views})
}

// getProblemType documents one problem type; problem documents point here
// through their type member.
func (s *Server) getProblemType(c echo.Context) error {
	pt, ok := problemTypes[c.Param("slug")]
	if !ok {
		return newProblem(probNotFound, "No problem type %q.", c.Param("slug"))
	}
	return c.JSON(http.StatusOK, viewProblemType(pt))
}
