# App output tests: mpr_add_app_test(...) per app and rank count.
