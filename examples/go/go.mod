module github.com/quiver-db/quiver/examples/go

go 1.22

require github.com/quiver-db/quiver/bindings/go v0.0.0

replace github.com/quiver-db/quiver/bindings/go => ../../bindings/go
