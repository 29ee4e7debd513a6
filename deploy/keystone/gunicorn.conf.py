# gunicorn reads this from its working directory: Keystone's config loader parses the command line,
# so gunicorn runs with no flags of its own. One worker, one thread: SQLite locks under more.
bind = "0.0.0.0:5000"
workers = 1
threads = 1
timeout = 60
wsgi_app = "keystone.wsgi.api:application"
