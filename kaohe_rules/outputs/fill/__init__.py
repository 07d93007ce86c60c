"""Fill-in templates for the scoring lead units (评分牵头单位) and collecting them back.

``layout`` works out from the rules what each lead unit's workbook asks for; ``template``
writes it; ``collect`` reads returned workbooks and checks them against the same layout;
``store`` writes the collected values, with where each came from, into a data folder.
"""
