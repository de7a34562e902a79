"""One digital identity: the OpenID Connect provider, multi-factor sign-in, assurance levels, agency API clients."""
