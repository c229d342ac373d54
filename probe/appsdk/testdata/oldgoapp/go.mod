module example.com/oldapp

go 1.21

require github.com/aws/aws-sdk-go v1.23.0
