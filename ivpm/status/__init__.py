"""What ``ivpm status`` reports: ``collect`` reads each dependency's state and problems from
packages/ (changing nothing), ``report`` renders them as a table or JSON."""
