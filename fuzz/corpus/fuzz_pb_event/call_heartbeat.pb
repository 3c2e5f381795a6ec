

unused
unused