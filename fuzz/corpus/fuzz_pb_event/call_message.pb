

exec-1
fw-12hi