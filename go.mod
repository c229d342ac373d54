module github.com/irsa-probe/irsa-probe

go 1.24
