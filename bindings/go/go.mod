module github.com/quiver-db/quiver/bindings/go

go 1.22
