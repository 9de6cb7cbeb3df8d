"""HTTP routes, one module per kind of user: auth, review, clerk, search, admin, images."""
