-- One database per service (no service reads another's tables).
CREATE DATABASE sentra_inventory;
CREATE DATABASE sentra_pos;
CREATE DATABASE sentra_suppliers;
CREATE DATABASE sentra_gateway;
