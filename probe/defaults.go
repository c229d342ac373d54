package probe

// DefaultAudience is the audience STS expects in IRSA tokens.
const DefaultAudience = "sts.amazonaws.com"
